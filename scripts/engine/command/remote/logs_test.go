package remote

import (
	"context"
	"log/slog"
	"sync"
	"testing"
)

// ---- log capture: the provider logs through slog when no engine is attached.

type logRecord struct {
	level  slog.Level
	status bool // InfoStatus and friends (ephemeral), not a diagnostic
	msg    string
}

type logCapture struct {
	mu      sync.Mutex
	records []logRecord
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, logRecord{level: r.Level, msg: r.Message})
	return nil
}
func (c *logCapture) WithAttrs(attrs []slog.Attr) slog.Handler {
	for _, a := range attrs {
		if a.Key == "kind" && a.Value.String() == "status" {
			return statusHandler{c}
		}
	}
	return c
}
func (c *logCapture) WithGroup(string) slog.Handler { return c }

type statusHandler struct{ c *logCapture }

func (h statusHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h statusHandler) Handle(_ context.Context, r slog.Record) error {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.records = append(h.c.records, logRecord{level: r.Level, status: true, msg: r.Message})
	return nil
}
func (h statusHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h statusHandler) WithGroup(string) slog.Handler      { return h }

// captureLogs routes the provider's logs into the returned capture for the
// rest of the test. Tests that use it must not run in parallel.
func captureLogs(t *testing.T) *logCapture {
	t.Helper()
	c := &logCapture{}
	prev := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return c
}

// status returns the status messages (InfoStatus) logged so far.
func (c *logCapture) status() []string {
	return c.messages(true, func(r logRecord) string { return r.msg })
}

// diagnostics returns "LEVEL msg" for each non-status message.
func (c *logCapture) diagnostics() []string {
	return c.messages(false, func(r logRecord) string { return r.level.String() + " " + r.msg })
}

// messages returns the records logged so far that are status messages (status) or not, as
// show writes them.
func (c *logCapture) messages(status bool, show func(logRecord) string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.records {
		if r.status == status {
			out = append(out, show(r))
		}
	}
	return out
}
