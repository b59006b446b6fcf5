package canary

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var bounds = []float64{1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000}

// latency is a histogram with `count` requests in bucket `index`, per pair.
func latency(pairs ...[2]int64) []int64 {
	counts := make([]int64, len(bounds)+1)
	for _, pair := range pairs {
		counts[pair[0]] = pair[1]
	}
	return counts
}

func counters(since string, sides map[string]Side) *Counters {
	return &Counters{Since: since, LatencyBoundsMs: bounds, Sides: sides}
}

// The golden file is what the split module's writer writes (its own test compares it).
const golden = "../split/testdata/stats.json"

func TestGolden(t *testing.T) {
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	end, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	figures := StepFigures(nil, end, "web-new:8080")
	if figures.Requests != 112 || figures.Errors != 23 || math.Round(figures.P95Ms) != 127 {
		t.Fatalf("figures %+v", figures)
	}
	for _, c := range []struct{ text, want string }{
		{`{`, "split stats: unexpected end of JSON input"},
		{`{"since":"t"}`, "split stats: since, latencyBoundsMs and sides are required"},
		{`{"since":"t","latencyBoundsMs":[1],"sides":{"a":{"requests":1,"errors":0,"latency":[1]}}}`,
			"split stats: sides.a.latency has 1 buckets, not 2"},
	} {
		if _, err := Parse([]byte(c.text)); err == nil || err.Error() != c.want {
			t.Errorf("Parse(%s) = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestStepFigures(t *testing.T) {
	start := counters("t0", map[string]Side{"new": {100, 2, latency([2]int64{3, 100})}})
	end := counters("t0", map[string]Side{"new": {212, 25, latency([2]int64{3, 190}, [2]int64{9, 22})}})
	got := StepFigures(start, end, "new")
	// rank 107 of 112: 90 in (5, 10], then 17 of the 22 in (100, 150].
	if got.Requests != 112 || got.Errors != 23 || got.P95Ms != 100+50.0*17/22 {
		t.Errorf("end minus start: %+v", got)
	}
	restarted := counters("t1", map[string]Side{"new": {12, 0, latency([2]int64{0, 12})}})
	if got := StepFigures(start, restarted, "new"); got.Requests != 12 || got.Errors != 0 || got.P95Ms != 1 {
		t.Errorf("after a restart: %+v", got)
	}
	if got := StepFigures(start, end, "other"); got.Requests != 0 || !math.IsNaN(got.P95Ms) {
		t.Errorf("an unknown side: %+v", got)
	}
}

func TestPercentile(t *testing.T) {
	if got := Percentile(latency([2]int64{0, 100}), bounds, 95); got != 0.95 {
		t.Errorf("inside the first bucket: %v", got)
	}
	if got := Percentile(latency([2]int64{0, 94}, [2]int64{int64(len(bounds)), 6}), bounds, 95); !math.IsInf(got, 1) {
		t.Errorf("past the last bound: %v", got)
	}
	if got := Percentile(latency(), bounds, 95); !math.IsNaN(got) {
		t.Errorf("empty: %v", got)
	}
}

func TestJudge(t *testing.T) {
	base := Analysis{MaxErrorRate: 1, MinRequests: 20}
	slow := Analysis{MaxErrorRate: 1, MinRequests: 20, MaxP95Ms: 300}
	for _, c := range []struct {
		label    string
		figures  Figures
		analysis Analysis
		pass     bool
		message  string
	}{
		{"canary 10%", Figures{112, 23, 40}, base, false, "canary 10%: 23 of 112 requests failed (20.5% > 1%)"},
		{"canary 10%", Figures{12, 0, 40}, base, false,
			"canary 10%: 12 requests reached the new release, fewer than minRequests 20: too few to judge"},
		{"canary 50%", Figures{400, 2, 412.4}, slow, false, "canary 50%: p95 412 ms over 400 requests (> 300 ms)"},
		{"canary 50%", Figures{400, 2, math.Inf(1)}, slow, false,
			"canary 50%: p95 over 10000 ms over 400 requests (> 300 ms)"},
		{"canary 10%", Figures{112, 1, 40.2}, slow, true,
			"canary 10%: 1 of 112 requests failed (0.9% ≤ 1%), p95 40 ms ≤ 300 ms"},
		// Exactly at the threshold passes: 1 of 100 is 1%.
		{"canary 10%", Figures{100, 1, 5}, base, true, "canary 10%: 1 of 100 requests failed (1% ≤ 1%), p95 5 ms"},
		{"canary 10%", Figures{100, 0, 5}, Analysis{MinRequests: 20}, true,
			"canary 10%: 0 of 100 requests failed (0% ≤ 0%), p95 5 ms"},
		{"canary 10%", Figures{100, 1, 5}, Analysis{MaxErrorRate: 0.5, MinRequests: 20}, false,
			"canary 10%: 1 of 100 requests failed (1% > 0.5%)"},
	} {
		got := Judge(c.label, c.figures, c.analysis)
		if got.Pass != c.pass || got.Message != c.message {
			t.Errorf("Judge(%+v, %+v) = %+v, want %v %q", c.figures, c.analysis, got, c.pass, c.message)
		}
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	start := filepath.Join(dir, "start.json")
	startText := `{"since":"2026-12-07T18:00:00Z","latencyBoundsMs":[1,2,5,10,20,30,50,75,100,150,200,300,500,750,1000,1500,2000,3000,5000,10000],` +
		`"sides":{"web-new:8080":{"requests":12,"errors":3,"latency":[2,1,3,5,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}}}`
	if err := os.WriteFile(start, []byte(startText), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := Main(args, strings.NewReader(stdin), &out, &errs)
		return code, out.String(), errs.String()
	}
	common := []string{"--end", golden, "--side", "web-new:8080", "--label", "canary 10%"}

	code, out, _ := run("", common...)
	if code != Failed || out != "canary 10%: 23 of 112 requests failed (20.5% > 1%)\n" {
		t.Errorf("from zero: %d %q", code, out)
	}
	// 100 requests, 20 failed since the start, read from a file and from stdin alike.
	for _, args := range [][]string{
		append([]string{"--start", start}, common...),
		append([]string{"--start", "-"}, common...),
	} {
		code, out, _ = run(startText, append(args, "--max-error-rate", "25")...)
		if code != Passed || out != "canary 10%: 20 of 100 requests failed (20% ≤ 25%), p95 127 ms\n" {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
	code, out, _ = run("", append(common, "--min-requests", "113")...)
	if code != Failed || !strings.Contains(out, "112 requests reached the new release, fewer than minRequests 113") {
		t.Errorf("min requests: %d %q", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--end", golden}, "--end, --side and --label are required"},
		{append(common, "extra"), `unexpected argument "extra"`},
		{append(common, "--max-error-rate", "101"), "--max-error-rate is 0 to 100"},
		{[]string{"--end", filepath.Join(dir, "none.json"), "--side", "a:1", "--label", "x"}, "no such file"},
		{append([]string{"--start", "-"}, common...), "-: split stats: unexpected end of JSON input"},
	} {
		code, out, errs := run("", c.args...)
		if code != Unjudged || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("%v: %d %q %q, want %q", c.args, code, out, errs, c.want)
		}
	}
}
