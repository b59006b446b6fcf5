package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

var created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fakeStore is an in-memory Store; err, when set, fails every call; notes: `api migrate` ran.
type fakeStore struct {
	items []Item
	err   error
	notes bool
}

func (f *fakeStore) Ping(context.Context) error { return f.err }

func (f *fakeStore) ListItems(context.Context) ([]Item, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.items, nil
}

func (f *fakeStore) AddItem(_ context.Context, name, note string) (Item, error) {
	if f.err != nil {
		return Item{}, f.err
	}
	if note != "" && !f.notes {
		return Item{}, errNoNotes
	}
	it := Item{ID: int64(len(f.items) + 1), Name: name, Note: note, Created: created}
	f.items = append(f.items, it)
	return it, nil
}

type fakeCounter struct {
	n   int64
	err error
}

func (c *fakeCounter) Incr(context.Context, string) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.n++
	return c.n, nil
}

func TestHandlers(t *testing.T) {
	down := errors.New("connection refused")
	one := []Item{{ID: 1, Name: "first", Created: created}}
	tests := []struct {
		name    string
		store   *fakeStore
		counter Counter
		method  string
		path    string
		body    string
		status  int
		want    string
	}{
		{"healthz answers without the database", &fakeStore{err: down}, nil, "GET", "/healthz", "", 200, `{"status":"ok"}`},
		{"readyz with the database", &fakeStore{}, nil, "GET", "/readyz", "", 200, `{"status":"ready"}`},
		{"readyz without the database", &fakeStore{err: down}, nil, "GET", "/readyz", "", 503, `{"status":"database unreachable"}`},
		{"version", &fakeStore{}, nil, "GET", "/version", "", 200, `{"release":"r42"}`},
		{"empty list is []", &fakeStore{}, nil, "GET", "/items", "", 200, `[]`},
		{"list", &fakeStore{items: one}, nil, "GET", "/items", "", 200, `[{"id":1,"name":"first","created":"2026-12-01T10:00:00Z"}]`},
		{"list fails", &fakeStore{err: down}, nil, "GET", "/items", "", 500, `{"error":"list items failed"}`},
		{"add", &fakeStore{items: one}, nil, "POST", "/items", `{"name":" second "}`, 201, `{"id":2,"name":"second","created":"2026-12-01T10:00:00Z"}`},
		{"add with a note", &fakeStore{items: one, notes: true}, nil, "POST", "/items", `{"name":"second","note":" migrated "}`, 201, `{"id":2,"name":"second","note":"migrated","created":"2026-12-01T10:00:00Z"}`},
		{"list with a note", &fakeStore{items: []Item{{ID: 1, Name: "first", Note: "n", Created: created}}, notes: true}, nil, "GET", "/items", "", 200, `[{"id":1,"name":"first","note":"n","created":"2026-12-01T10:00:00Z"}]`},
		{"add with a note before api migrate", &fakeStore{}, nil, "POST", "/items", `{"name":"a","note":"n"}`, 409, "{\"error\":\"items has no note column yet: run `api migrate`\"}"},
		{"add with a long note", &fakeStore{notes: true}, nil, "POST", "/items", `{"name":"a","note":"` + strings.Repeat("x", 501) + `"}`, 400, `{"error":"note must be at most 500 characters"}`},
		{"add without a name", &fakeStore{}, nil, "POST", "/items", `{"name":"  "}`, 400, `{"error":"name must be 1 to 200 characters"}`},
		{"add with a long name", &fakeStore{}, nil, "POST", "/items", `{"name":"` + strings.Repeat("x", 201) + `"}`, 400, `{"error":"name must be 1 to 200 characters"}`},
		{"add with another field", &fakeStore{}, nil, "POST", "/items", `{"name":"a","id":3}`, 400, `{"error":"body must be {\"name\": \"...\", \"note\": \"...\"} (note optional)"}`},
		{"add with no JSON", &fakeStore{}, nil, "POST", "/items", `name=a`, 400, `{"error":"body must be {\"name\": \"...\", \"note\": \"...\"} (note optional)"}`},
		{"add fails", &fakeStore{err: down}, nil, "POST", "/items", `{"name":"a"}`, 500, `{"error":"add item failed"}`},
		{"counter without redis", &fakeStore{}, nil, "GET", "/counter", "", 404, `{"error":"no counter: REDIS_URL is not set"}`},
		{"counter", &fakeStore{}, &fakeCounter{n: 6}, "GET", "/counter", "", 200, `{"counter":7}`},
		{"counter fails", &fakeStore{}, &fakeCounter{err: down}, "GET", "/counter", "", 500, `{"error":"counter failed"}`},
		{"no DELETE", &fakeStore{}, nil, "DELETE", "/items", "", 405, ""},
		{"unknown path", &fakeStore{}, nil, "GET", "/nope", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &api{release: "r42", store: tc.store, counter: tc.counter}
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			rec := httptest.NewRecorder()
			a.routes().ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			if tc.want != "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tc.want {
					t.Fatalf("body %s, want %s", got, tc.want)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
			}
		})
	}
}

func TestHostOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://app:s3cret@postgres:5432/appdb?sslmode=disable", "postgres:5432"},
		{"postgresql://app:s3cret@db.internal/appdb", "db.internal"},
		{"redis://:s3cret@redis:6379/0", "redis:6379"},
		{"host=postgres password=s3cret", "(unparsed)"},
		{"", "(unparsed)"},
	}
	for _, tc := range tests {
		if got := hostOf(tc.in); got != tc.want {
			t.Errorf("hostOf(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAnsweredAndUndefinedColumn(t *testing.T) {
	tests := []struct {
		name            string
		err             error
		answered, undef bool
	}{
		{"unreachable", errors.New("dial tcp 10.0.0.2:5432: connect: connection refused"), false, false},
		{"connect error with no server answer", &pgconn.ConnectError{}, false, false},
		{"wrong password, answered", fmt.Errorf("connect: %w", &pgconn.PgError{Code: "28P01"}), true, false},
		{"undefined column", &pgconn.PgError{Code: "42703"}, true, true},
		{"undefined column, wrapped", fmt.Errorf("query: %w", &pgconn.PgError{Code: "42703"}), true, true},
		{"no error", nil, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := answered(tc.err); got != tc.answered {
				t.Errorf("answered = %v, want %v", got, tc.answered)
			}
			if got := undefinedColumn(tc.err); got != tc.undef {
				t.Errorf("undefinedColumn = %v, want %v", got, tc.undef)
			}
		})
	}
}

func TestMigrateCommandRefusesArguments(t *testing.T) {
	err := migrateCommand(context.Background(), config{DatabaseURL: "postgres://app:s3cret@postgres/db"}, []string{"now"})
	if err == nil || err.Error() != `migrate takes no arguments (got ["now"])` {
		t.Fatalf("migrate now: %v", err)
	}
	err = migrateCommand(context.Background(), config{DatabaseURL: "postgres://app:s3cret@postgres:notaport/db"}, nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("migrate with a bad URL: %v", err)
	}
}

func TestOpenStoreErrorsNeverQuoteTheURL(t *testing.T) {
	for _, raw := range []string{"", "postgres://app:s3cret@postgres:notaport/db", "host=x password=s3cret port=zz"} {
		_, err := openStore(context.Background(), raw)
		if err == nil {
			t.Fatalf("openStore(%q): no error", raw)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("openStore error quotes the secret: %v", err)
		}
	}
}

func TestFresh(t *testing.T) {
	dir := t.TempDir()
	alive := filepath.Join(dir, "alive")
	now := time.Now()
	tests := []struct {
		name  string
		touch time.Duration // age of the file; < 0: no file
		ok    bool
	}{
		{"missing", -1, false},
		{"just touched", 0, true},
		{"14 s old", 14 * time.Second, true},
		{"16 s old", 16 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(alive)
			if tc.touch >= 0 {
				if err := touch(alive, now.Add(-tc.touch)); err != nil {
					t.Fatal(err)
				}
			}
			err := fresh(alive, 15*time.Second, now)
			if (err == nil) != tc.ok {
				t.Fatalf("fresh: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer((&api{release: "x", store: &fakeStore{}}).routes())
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	closed := freePort(t)
	dir := t.TempDir()
	alive := filepath.Join(dir, "alive")
	tests := []struct {
		name  string
		port  string
		alive bool
		ok    bool
	}{
		{"api role: /healthz answers", port, false, true},
		{"worker role: fresh alive file", closed, true, true},
		{"neither", closed, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(alive)
			if tc.alive {
				if err := touch(alive, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			err := healthcheck(context.Background(), config{Port: tc.port, AliveFile: alive, AliveWithin: 15 * time.Second})
			if (err == nil) != tc.ok {
				t.Fatalf("healthcheck: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_ = l.Close()
	return port
}

func TestNewRedisCounter(t *testing.T) {
	tests := []struct {
		in   string
		want redisCounter
		err  bool
	}{
		{"redis://redis", redisCounter{addr: "redis:6379"}, false},
		{"redis://:pw@redis:6380/2", redisCounter{addr: "redis:6380", password: "pw", db: 2}, false},
		{"redis://u:pw@redis/0", redisCounter{addr: "redis:6379", user: "u", password: "pw"}, false},
		{"http://redis", redisCounter{}, true},
		{"redis://redis/x", redisCounter{}, true},
	}
	for _, tc := range tests {
		c, err := newRedisCounter(tc.in)
		if (err != nil) != tc.err {
			t.Fatalf("newRedisCounter(%q): %v", tc.in, err)
		}
		if err == nil && *c != tc.want {
			t.Fatalf("newRedisCounter(%q) = %+v, want %+v", tc.in, *c, tc.want)
		}
	}
}

// A RESP server that accepts password "pw" and counts INCRs.
func TestRedisCounterIncr(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var (
		mu   sync.Mutex
		seen []string
	)
	go func() {
		n := 0
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(conn)
			authed := false
			for {
				args, err := readCommand(r)
				if err != nil {
					break
				}
				mu.Lock()
				seen = append(seen, strings.Join(args, " "))
				mu.Unlock()
				switch {
				case args[0] == "AUTH" && args[len(args)-1] == "pw":
					authed = true
					_, _ = conn.Write([]byte("+OK\r\n"))
				case args[0] == "AUTH":
					_, _ = conn.Write([]byte("-WRONGPASS invalid password\r\n"))
				case !authed:
					_, _ = conn.Write([]byte("-NOAUTH Authentication required.\r\n"))
				case args[0] == "INCR":
					n++
					_, _ = conn.Write([]byte(":" + strconv.Itoa(n) + "\r\n"))
				}
			}
			conn.Close()
		}
	}()
	ctx := context.Background()
	good, _ := newRedisCounter("redis://:pw@" + l.Addr().String())
	for want := int64(1); want <= 2; want++ {
		got, err := good.Incr(ctx, "k")
		if err != nil || got != want {
			t.Fatalf("Incr = %d, %v; want %d", got, err, want)
		}
	}
	bad, _ := newRedisCounter("redis://:nope@" + l.Addr().String())
	if _, err := bad.Incr(ctx, "k"); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v", err)
	}
	none, _ := newRedisCounter("redis://" + l.Addr().String())
	if _, err := none.Incr(ctx, "k"); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("no password: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[0] != "AUTH pw" || seen[1] != "INCR k" {
		t.Fatalf("commands %q", seen)
	}
}

func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(line)[1:])
	if err != nil {
		return nil, err
	}
	args := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		arg, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimRight(arg, "\r\n"))
	}
	return args, nil
}
