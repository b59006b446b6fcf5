package split

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestParse(t *testing.T) {
	table, err := Parse([]byte("# canary 10%\nweb-new:8080 10\n\nweb-old-1:8080,web-old-2:8080 90\n"))
	if err != nil {
		t.Fatal(err)
	}
	if table.Total != 100 || len(table.Sides) != 2 {
		t.Fatalf("table %+v", table)
	}
	if got := strings.Join(table.Sides[1].Dials, " "); got != "web-old-1:8080 web-old-2:8080" {
		t.Fatalf("dials %q", got)
	}
	for _, c := range []struct{ text, want string }{
		{"", "no `<upstream> <weight>` line"},
		{"# only a comment\n", "no `<upstream> <weight>` line"},
		{"a:1 10 x\n", "line 1: \"a:1 10 x\" is not `<upstream> <weight>`"},
		{"a:1 ten\n", "line 1: weight \"ten\" is not a whole number from 0 to 10000"},
		{"a:1 -1\n", "line 1: weight \"-1\" is not a whole number from 0 to 10000"},
		{"a:1 10001\n", "line 1: weight \"10001\" is not a whole number from 0 to 10000"},
		{"\na 10\n", "line 2: upstream \"a\" is not <host>:<port>"},
		{"a:1,b: 10\n", "line 1: upstream \"b:\" is not <host>:<port>"},
		{"a:1 10\na:1 90\n", "line 2: upstream \"a:1\" is also on line 1"},
		{"a:1 0\nb:1 0\n", "every weight is 0: nothing could answer"},
	} {
		_, err := Parse([]byte(c.text))
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestPick(t *testing.T) {
	table, _ := Parse([]byte("new:1 10\nold:1 90\n"))
	for _, c := range []struct {
		bucket int
		want   string
	}{{0, "new:1"}, {999, "new:1"}, {1000, "old:1"}, {Buckets - 1, "old:1"}} {
		if got := table.Pick(c.bucket).Upstream; got != c.want {
			t.Errorf("Pick(%d) = %s, want %s", c.bucket, got, c.want)
		}
	}
	zero, _ := Parse([]byte("new:1 0\nold:1 100\n"))
	if got := zero.Pick(0).Upstream; got != "old:1" {
		t.Errorf("weight 0 picked: %s", got)
	}
}

// fixture is a handler over a split file in a temporary directory, provisioned as Caddy
// would, whose next handler answers like reverse_proxy with the upstream source.
type fixture struct {
	t        *testing.T
	dir      string
	handler  *Handler
	logs     *observer.ObservedLogs
	answer   func(dial string, w http.ResponseWriter) error
	upstream *Upstreams
}

func newFixture(t *testing.T, sticky bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	core, logs := observer.New(zapcore.InfoLevel)
	f := &fixture{
		t:   t,
		dir: dir,
		handler: &Handler{
			Service:   "web",
			SplitFile: filepath.Join(dir, "web.split"),
			StatsFile: filepath.Join(dir, "stats", "web.json"),
			Sticky:    sticky,
		},
		logs:     logs,
		upstream: &Upstreams{Fallback: []string{"{file./etc/slipway/upstreams/web}"}},
		answer: func(dial string, w http.ResponseWriter) error {
			_, err := fmt.Fprint(w, dial)
			return err
		},
	}
	if err := f.handler.provision(zap.New(core)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.handler.Cleanup() })
	return f
}

// write renames a new split file into place, as the host does.
func (f *fixture) write(text string) {
	f.t.Helper()
	tmp := filepath.Join(f.dir, ".web.split.tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, f.handler.SplitFile); err != nil {
		f.t.Fatal(err)
	}
}

// do sends one request (with `cookies`) and returns the dial that answered and the response.
func (f *fixture) do(cookies ...*http.Cookie) (string, *http.Response, error) {
	r := httptest.NewRequest("GET", "http://www.example.com/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
	w := httptest.NewRecorder()
	var dial string
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		upstreams, err := f.upstream.GetUpstreams(r)
		if err != nil {
			return err
		}
		dial = upstreams[0].Dial
		return f.answer(dial, w)
	})
	err := f.handler.ServeHTTP(w, r, next)
	return dial, w.Result(), err
}

func (f *fixture) shares(n int) map[string]float64 {
	counts := map[string]int{}
	for range n {
		dial, _, err := f.do()
		if err != nil {
			f.t.Fatal(err)
		}
		counts[dial]++
	}
	shares := map[string]float64{}
	for dial, count := range counts {
		shares[dial] = 100 * float64(count) / float64(n)
	}
	return shares
}

func within(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 5 {
		t.Errorf("%s: %.1f%%, want %.0f%% ± 5 points", what, got, want)
	}
}

func TestNoSplitFileIsThePlainUpstream(t *testing.T) {
	f := newFixture(t, true)
	dial, res, err := f.do()
	if err != nil || dial != "{file./etc/slipway/upstreams/web}" {
		t.Fatalf("dial %q, err %v", dial, err)
	}
	if len(res.Cookies()) != 0 {
		t.Fatalf("a cookie without a split: %v", res.Cookies())
	}
	if sides := f.handler.state.stats.Snapshot(time.Now(), nil, nil).Sides; len(sides) != 0 {
		t.Fatalf("counted without a split: %v", sides)
	}
}

func TestWeightsHonouredAndChangedByRename(t *testing.T) {
	f := newFixture(t, false)
	f.write("new:8080 10\nold:8080 90\n")
	shares := f.shares(2000)
	within(t, "new at weight 10", shares["new:8080"], 10)
	within(t, "old at weight 10", shares["old:8080"], 90)

	// A weight change is a rename: the same handler (no restart, no reload) follows it.
	f.write("new:8080 50\nold:8080 50\n")
	shares = f.shares(2000)
	within(t, "new at weight 50", shares["new:8080"], 50)

	f.write("new:8080 0\nold:8080 100\n")
	if shares = f.shares(500); shares["old:8080"] != 100 {
		t.Errorf("abort (weight 0) still sends %v", shares)
	}

	// The split file gone: the service's plain upstream again.
	if err := os.Remove(f.handler.SplitFile); err != nil {
		t.Fatal(err)
	}
	if shares = f.shares(10); shares["{file./etc/slipway/upstreams/web}"] != 100 {
		t.Errorf("without a split file: %v", shares)
	}
}

func TestSticky(t *testing.T) {
	f := newFixture(t, true)
	f.write("new:8080 10\nold:8080 90\n")
	// 400 clients, each sends 20 requests with the cookie its first answer set.
	onNew := 0
	var newClient *http.Cookie
	for range 400 {
		first, res, err := f.do()
		if err != nil {
			t.Fatal(err)
		}
		cookies := res.Cookies()
		if len(cookies) != 1 || cookies[0].Name != "slipway_split_web" || !cookies[0].HttpOnly || cookies[0].Path != "/" {
			t.Fatalf("cookies %v", cookies)
		}
		for range 20 {
			dial, res, _ := f.do(cookies[0])
			if dial != first {
				t.Fatalf("client with cookie %s moved from %s to %s", cookies[0].Value, first, dial)
			}
			if len(res.Cookies()) != 0 {
				t.Fatalf("cookie set again: %v", res.Cookies())
			}
		}
		if first == "new:8080" {
			onNew++
			newClient = cookies[0]
		}
	}
	within(t, "clients on new", 100*float64(onNew)/400, 10)
	// The next step: a client on the new side stays there.
	f.write("new:8080 50\nold:8080 50\n")
	if dial, _, _ := f.do(newClient); dial != "new:8080" {
		t.Errorf("client of the new side moved to %s at a higher weight", dial)
	}
	// A cookie that is no bucket is replaced.
	_, res, _ := f.do(&http.Cookie{Name: "slipway_split_web", Value: "99999"})
	if len(res.Cookies()) != 1 {
		t.Errorf("a bad cookie was kept")
	}
}

func TestMalformedKeepsTheLastGoodSplit(t *testing.T) {
	f := newFixture(t, false)
	f.write("new:8080 10\nold:8080 90\n")
	f.shares(10)
	f.write("new:8080 fifty\nold:8080 50\n")
	shares := f.shares(2000)
	within(t, "new after a malformed file", shares["new:8080"], 10)
	refused := f.logs.FilterMessage("split file refused; the last good split stays in force").All()
	if len(refused) != 1 { // logged once per version, not per request
		t.Fatalf("logged %d times: %v", len(refused), f.logs.All())
	}
	if got := refused[0].ContextMap()["error"]; got != `line 1: weight "fifty" is not a whole number from 0 to 10000` {
		t.Errorf("logged error %v", got)
	}
	if _, err := f.handler.state.file.Status(); err == nil {
		t.Errorf("Status has no error")
	}
	// The next good version is taken.
	f.write("new:8080 50\nold:8080 50\n")
	within(t, "new after a good file", f.shares(2000)["new:8080"], 50)
	if _, err := f.handler.state.file.Status(); err != nil {
		t.Errorf("Status still has %v", err)
	}
}

func TestMalformedFirstVersionIsNoSplit(t *testing.T) {
	f := newFixture(t, false)
	f.write("garbage\n")
	if dial, _, _ := f.do(); dial != "{file./etc/slipway/upstreams/web}" {
		t.Errorf("dial %q", dial)
	}
}

func TestCountersOutliveAConfigReload(t *testing.T) {
	f := newFixture(t, false)
	f.write("new:8080 100\n")
	f.shares(3)
	// The new config's handler is provisioned before the old one is cleaned up.
	again := &Handler{Service: "web", SplitFile: f.handler.SplitFile, StatsFile: f.handler.StatsFile}
	if err := again.provision(zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	if err := f.handler.Cleanup(); err != nil {
		t.Fatal(err)
	}
	f.handler = again
	f.shares(2)
	if got := again.state.stats.Snapshot(time.Now(), nil, nil).Sides["new:8080"].Requests; got != 5 {
		t.Errorf("requests after a reload: %d, want 5", got)
	}
}
