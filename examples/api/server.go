package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net"
	"net/http"
	"strings"
	"time"
)

// Counter is the Redis counter behind GET /counter.
type Counter interface {
	Incr(ctx context.Context, key string) (int64, error)
}

// api holds the handlers' dependencies. counter is nil when REDIS_URL is not set.
type api struct {
	release string
	store   Store
	counter Counter
}

const maxBody = 64 << 10

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"release": a.release})
	})
	mux.HandleFunc("GET /items", a.listItems)
	mux.HandleFunc("POST /items", a.addItem)
	mux.HandleFunc("GET /counter", a.count)
	return mux
}

func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *api) listItems(w http.ResponseWriter, r *http.Request) {
	items, err := a.store.ListItems(r.Context())
	if err != nil {
		serverError(w, "list items", err)
		return
	}
	if items == nil {
		items = []Item{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (a *api) addItem(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
		Note string `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `body must be {"name": "...", "note": "..."} (note optional)`})
		return
	}
	name := strings.TrimSpace(body.Name)
	if name == "" || len(name) > 200 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name must be 1 to 200 characters"})
		return
	}
	note := strings.TrimSpace(body.Note)
	if len(note) > 500 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "note must be at most 500 characters"})
		return
	}
	it, err := a.store.AddItem(r.Context(), name, note)
	if errors.Is(err, errNoNotes) {
		writeJSON(w, http.StatusConflict, map[string]string{"error": errNoNotes.Error()})
		return
	}
	if err != nil {
		serverError(w, "add item", err)
		return
	}
	writeJSON(w, http.StatusCreated, it)
}

func (a *api) count(w http.ResponseWriter, r *http.Request) {
	if a.counter == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no counter: REDIS_URL is not set"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	n, err := a.counter.Incr(ctx, "slipway:counter")
	if err != nil {
		serverError(w, "counter", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"counter": n})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serverError logs err (database errors carry no connection secrets) and answers 500.
func serverError(w http.ResponseWriter, what string, err error) {
	log.Printf("%s: %v", what, err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": what + " failed"})
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, cfg config) error {
	store, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.pool.Close()
	log.Printf("database host %s", hostOf(cfg.DatabaseURL))
	go func() {
		if err := store.createTables(ctx); err != nil && ctx.Err() == nil {
			log.Printf("creating tables: %v", err)
		} else if err == nil {
			log.Printf("tables ready")
		}
	}()
	a := &api{release: cfg.Release, store: store}
	if cfg.RedisURL != "" {
		c, err := newRedisCounter(cfg.RedisURL)
		if err != nil {
			return err
		}
		log.Printf("redis host %s", hostOf(cfg.RedisURL))
		a.counter = c
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("", cfg.Port),
		Handler:           a.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("listening on :%s (release %s)", cfg.Port, cfg.Release)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
