package main

import (
	"context"
	"fmt"
	"log"
	"time"
)

// migrateWait bounds how long `api migrate` waits for the database to be reachable.
const migrateWait = 60 * time.Second

// migrateCommand is `api migrate`, the api's release command: it creates the tables and adds
// the items.note column (idempotent), before any host switches to the release that uses it.
// Its output names the database host only, never the URL or a password.
func migrateCommand(ctx context.Context, cfg config, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("migrate takes no arguments (got %q)", args)
	}
	store, err := openStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.pool.Close()
	log.Printf("migrate: database host %s", hostOf(cfg.DatabaseURL))
	ctx, cancel := context.WithTimeout(ctx, migrateWait)
	defer cancel()
	if err := store.migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	log.Printf("migrate: items.note is there")
	return nil
}
