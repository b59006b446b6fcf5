// Slipway's demo API: a small HTTP service over PostgreSQL (and Redis when REDIS_URL is
// set), and the same binary as a worker (`api worker`) that writes a heartbeat row.
//
//	api                serve HTTP on :8080 (PORT overrides)
//	api worker         heartbeat into worker_beats every few seconds, touch /tmp/alive
//	api healthcheck    exit 0 when /healthz answers on localhost or /tmp/alive is fresh
//	api migrate        create the tables and add items.note (the release command; idempotent)
//
// DATABASE_URL is a secret: it is never logged (only its host is).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	cmd := ""
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var err error
	switch cmd {
	case "", "serve":
		err = serve(ctx, envConfig())
	case "worker":
		err = work(ctx, envConfig())
	case "migrate":
		err = migrateCommand(ctx, envConfig(), os.Args[2:])
	case "healthcheck":
		if err = healthcheck(ctx, envConfig()); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	default:
		err = fmt.Errorf("unknown command %q (want: serve, worker, migrate, healthcheck)", cmd)
	}
	if err != nil {
		log.Printf("api: %v", err)
		os.Exit(1)
	}
}
