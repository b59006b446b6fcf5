package main

import (
	"net/url"
	"os"
	"time"
)

// config is what the process reads from its environment.
type config struct {
	Port        string // PORT, default 8080
	Release     string // APP_RELEASE, default "dev"
	DatabaseURL string // DATABASE_URL (secret)
	RedisURL    string // REDIS_URL (secret when it holds a password), optional
	AliveFile   string // the worker's liveness file, /tmp/alive
	BeatEvery   time.Duration
	AliveWithin time.Duration // how fresh AliveFile must be for healthcheck
}

func envConfig() config {
	return config{
		Port:        envOr("PORT", "8080"),
		Release:     envOr("APP_RELEASE", "dev"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		RedisURL:    os.Getenv("REDIS_URL"),
		AliveFile:   "/tmp/alive",
		BeatEvery:   3 * time.Second,
		AliveWithin: 15 * time.Second,
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// hostOf is what may be logged about a connection URL: its host and port, nothing else
// (never the user, password or query).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsed)"
	}
	return u.Host
}
