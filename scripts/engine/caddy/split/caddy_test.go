package split

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// The handlers as src/edge renders them for a service with a rollout (splitProxyHandlers)
// load in a whole config: Caddy provisions both modules and reverse_proxy's source.
func TestConfigAsSlipwayRendersIt(t *testing.T) {
	dir := t.TempDir()
	config := fmt.Sprintf(`{
	  "admin": {"disabled": true},
	  "apps": {"http": {"servers": {"http": {"listen": [":0"], "routes": [{
	    "match": [{"host": ["web.localhost"]}],
	    "handle": [
	      {"handler": "slipway_split", "service": "web", "split_file": %q, "stats_file": %q, "sticky": true},
	      {"handler": "reverse_proxy",
	       "dynamic_upstreams": {"source": "slipway_split", "fallback": ["{file./etc/slipway/upstreams/web}"]},
	       "load_balancing": {"try_duration": "250ms", "try_interval": "50ms"}}
	    ],
	    "terminal": true
	  }]}}}}
	}`, filepath.Join(dir, "web"), filepath.Join(dir, "web.json"))
	var cfg caddy.Config
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := caddy.Validate(&cfg); err != nil {
		t.Fatalf("the config does not load: %v", err)
	}
}

// A real Caddy (in this process) with the config Slipway renders, in front of two
// upstreams: the split by weight over keep-alive connections, a rename to another weight
// under load with no failed request and no new connection, and the counters file.
func TestThroughCaddy(t *testing.T) {
	upstream := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, name)
		}))
	}
	newer, older := upstream("new"), upstream("old")
	defer newer.Close()
	defer older.Close()
	dial := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
	dir := t.TempDir()
	writeFile := func(name, text string) {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("upstream", dial(older))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := listener.Addr().String()
	listener.Close()
	config := fmt.Sprintf(`{
	  "admin": {"disabled": true},
	  "logging": {"logs": {"default": {"level": "WARN"}}},
	  "apps": {"http": {"servers": {"http": {"listen": [%q], "automatic_https": {"disable": true}, "routes": [{
	    "handle": [
	      {"handler": "slipway_split", "service": "web", "split_file": %q, "stats_file": %q},
	      {"handler": "reverse_proxy",
	       "dynamic_upstreams": {"source": "slipway_split", "fallback": [%q]},
	       "load_balancing": {"try_duration": "250ms", "try_interval": "50ms"}}
	    ],
	    "terminal": true
	  }]}}}}
	}`, address, filepath.Join(dir, "split"), filepath.Join(dir, "web.json"), "{file."+filepath.Join(dir, "upstream")+"}")
	if err := caddy.Load([]byte(config), true); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = caddy.Stop() }()

	var newConns atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	get := func() (string, error) {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
			if !info.Reused {
				newConns.Add(1)
			}
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+address+"/", nil)
		res, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			return "", fmt.Errorf("status %d: %s", res.StatusCode, body)
		}
		return string(body), err
	}
	// load sends n requests from 4 goroutines; `midway` runs as the (n/2)th is sent, and
	// the requests after it wait until it is done: `second` counts only those.
	load := func(n int, midway func()) (map[string]int, map[string]int, int) {
		var mu sync.Mutex
		first, second := map[string]int{}, map[string]int{}
		failures := 0
		var sent atomic.Int64
		renamed := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					seq := sent.Add(1) // unique: exactly one goroutine gets n/2
					if seq > int64(n) {
						return
					}
					if seq == int64(n/2) {
						if midway != nil {
							midway()
						}
						close(renamed)
					}
					after := seq > int64(n/2)
					if after {
						<-renamed
					}
					body, err := get()
					mu.Lock()
					switch {
					case err != nil:
						failures++
					case after:
						second[body]++
					default:
						first[body]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return first, second, failures
	}
	pct := func(m map[string]int) float64 { return 100 * float64(m["new"]) / float64(m["new"]+m["old"]) }

	first, second, failures := load(200, nil)
	if failures != 0 || first["new"]+second["new"] != 0 {
		t.Fatalf("without a split: %v %v, %d failed", first, second, failures)
	}
	writeFile("split", dial(newer)+" 10\n"+dial(older)+" 90\n")
	first, second, failures = load(2000, nil)
	all := map[string]int{"new": first["new"] + second["new"], "old": first["old"] + second["old"]}
	t.Logf("weight 10: %v (%.1f%% new)", all, pct(all))
	within(t, "weight 10", pct(all), 10)
	conns := newConns.Load()
	first, second, failures = load(2000, func() { writeFile("split", dial(newer)+" 50\n"+dial(older)+" 50\n") })
	t.Logf("renamed to 50 midway: before %v, after %v, %d failed, %d new connections", first, second, failures, newConns.Load()-conns)
	if failures != 0 {
		t.Errorf("%d requests failed across the rename", failures)
	}
	if extra := newConns.Load() - conns; extra != 0 {
		t.Errorf("%d new connections across the rename: a keep-alive connection was closed", extra)
	}
	within(t, "weight 10 before the rename", pct(first), 10)
	within(t, "weight 50 after the rename", pct(second), 50)

	time.Sleep(1500 * time.Millisecond)
	data, err := os.ReadFile(filepath.Join(dir, "web.json"))
	if err != nil {
		t.Fatal(err)
	}
	var snapshot Snapshot
	if err := json.Unmarshal(data, &snapshot); err != nil {
		t.Fatal(err)
	}
	sawNew := all["new"] + first["new"] + second["new"]
	sawOld := all["old"] + first["old"] + second["old"]
	if got := snapshot.Sides[dial(newer)]; got.Requests != int64(sawNew) || got.Errors != 0 {
		t.Errorf("new side counted %+v, clients saw %d", got, sawNew)
	}
	if got := snapshot.Sides[dial(older)]; got.Requests != int64(sawOld) || got.Errors != 0 {
		t.Errorf("old side counted %+v, clients saw %d", got, sawOld)
	}
}
