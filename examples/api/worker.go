package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

// work writes a heartbeat row every cfg.BeatEvery and touches cfg.AliveFile after each
// one that succeeded, until ctx ends.
func work(ctx context.Context, cfg config) error {
	store, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.pool.Close()
	log.Printf("worker: database host %s", hostOf(cfg.DatabaseURL))
	if err := store.createTables(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	host, _ := os.Hostname()
	tick := time.NewTicker(cfg.BeatEvery)
	defer tick.Stop()
	for {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := store.beat(bctx, host)
		cancel()
		if err == nil {
			err = touch(cfg.AliveFile, time.Now())
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("worker: heartbeat: %v", err)
		}
		select {
		case <-ctx.Done():
			log.Printf("worker: stopping")
			return nil
		case <-tick.C:
		}
	}
}

func touch(path string, at time.Time) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, at, at)
}

// healthcheck succeeds when the HTTP server answers /healthz on localhost (the api
// role) or the worker touched its alive file recently (the worker role), so one image
// and one HEALTHCHECK fit both.
func healthcheck(ctx context.Context, cfg config) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	httpErr := probe(ctx, "http://127.0.0.1:"+cfg.Port+"/healthz")
	if httpErr == nil {
		return nil
	}
	fileErr := fresh(cfg.AliveFile, cfg.AliveWithin, time.Now())
	if fileErr == nil {
		return nil
	}
	return errors.Join(httpErr, fileErr)
}

func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET /healthz: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /healthz: status %d", res.StatusCode)
	}
	return nil
}

func fresh(path string, within time.Duration, now time.Time) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("alive file: %w", err)
	}
	if age := now.Sub(st.ModTime()); age > within {
		return fmt.Errorf("alive file %s is %s old (limit %s)", path, age.Round(time.Second), within)
	}
	return nil
}
