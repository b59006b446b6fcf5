package main

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Item is a row of the items table, as the API returns it.
type Item struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	Note    string    `json:"note,omitempty"`
	Created time.Time `json:"created"`
}

// Store is what the handlers need from the database.
type Store interface {
	Ping(ctx context.Context) error
	ListItems(ctx context.Context) ([]Item, error)
	// AddItem adds a row; a note needs the items.note column (errNoNotes without it).
	AddItem(ctx context.Context, name, note string) (Item, error)
}

// errNoNotes: a note was given but the items table has no note column yet.
var errNoNotes = errors.New("items has no note column yet: run `api migrate`")

// pgStore is the Store over PostgreSQL.
type pgStore struct{ pool *pgxpool.Pool }

const schema = `
CREATE TABLE IF NOT EXISTS items (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    text NOT NULL,
  created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS worker_beats (
  hostname text PRIMARY KEY,
  beats    bigint NOT NULL DEFAULT 1,
  last     timestamptz NOT NULL DEFAULT now()
);`

// openStore connects lazily (the pool dials on first use), so the process starts and
// answers /healthz while the database is still coming up.
func openStore(ctx context.Context, databaseURL string) (*pgStore, error) {
	if databaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors can quote the URL: never pass them on.
		return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL")
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errors.New("cannot create the connection pool")
	}
	return &pgStore{pool: pool}, nil
}

// upgrade is what `api migrate` adds to the tables the server creates: the items.note column
// (expand only: the release before it neither reads nor writes it). Idempotent.
const upgrade = `ALTER TABLE items ADD COLUMN IF NOT EXISTS note text NOT NULL DEFAULT ''`

// createTables creates the tables (idempotently), retrying until ctx ends.
func (s *pgStore) createTables(ctx context.Context) error {
	for {
		_, err := s.pool.Exec(ctx, schema)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

func (s *pgStore) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// migrate creates the tables and applies upgrade: `api migrate`, the release command. It
// retries while the database cannot be reached, until ctx ends, and fails at once when the
// server answers with an error (a wrong password, a failing statement): retrying cannot help.
func (s *pgStore) migrate(ctx context.Context) error {
	for {
		_, err := s.pool.Exec(ctx, schema+"\n"+upgrade+";")
		if err == nil || answered(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// answered tells whether err came from the PostgreSQL server itself (an SQLSTATE).
func answered(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg)
}

// undefinedColumn tells whether err is PostgreSQL's undefined_column (42703).
func undefinedColumn(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42703"
}

// ListItems reads the notes too once `api migrate` added their column.
func (s *pgStore) ListItems(ctx context.Context) ([]Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, note, created FROM items ORDER BY id`)
	withNotes := err == nil
	if undefinedColumn(err) {
		rows, err = s.pool.Query(ctx, `SELECT id, name, created FROM items ORDER BY id`)
	}
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Item, error) {
		var it Item
		if withNotes {
			return it, row.Scan(&it.ID, &it.Name, &it.Note, &it.Created)
		}
		return it, row.Scan(&it.ID, &it.Name, &it.Created)
	})
}

func (s *pgStore) AddItem(ctx context.Context, name, note string) (Item, error) {
	it := Item{Name: name, Note: note}
	var row pgx.Row
	if note == "" {
		row = s.pool.QueryRow(ctx, `INSERT INTO items (name) VALUES ($1) RETURNING id, created`, name)
	} else {
		row = s.pool.QueryRow(ctx, `INSERT INTO items (name, note) VALUES ($1, $2) RETURNING id, created`, name, note)
	}
	err := row.Scan(&it.ID, &it.Created)
	if undefinedColumn(err) {
		return it, errNoNotes
	}
	return it, err
}

// beat records one heartbeat of the worker on host.
func (s *pgStore) beat(ctx context.Context, host string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO worker_beats (hostname) VALUES ($1)
ON CONFLICT (hostname) DO UPDATE SET beats = worker_beats.beats + 1, last = now()`, host)
	return err
}
