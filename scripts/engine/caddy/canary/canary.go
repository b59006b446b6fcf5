// Package canary is the canary's judgement, the one implementation of it: from two snapshots
// of the split module's counters (../split, the stats file it writes) taken at the start and
// the end of a step, the new release's requests, 5xx rate and p95 latency during the step,
// and the verdict against the service's `rollout.analysis`, worded as the update reports it
// (`canary 10%: 23 of 112 requests failed (20.5% > 1%)`).
//
// The host's deploy script runs it inside the edge's Caddy container as
// `caddy slipway-split-judge …` (../split/command.go registers it; Main here); it needs only
// the standard library, so its tests run without building Caddy.
package canary

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Side is one side's counters, as the split module's stats file has them (split.SideSnapshot).
type Side struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Latency  []int64 `json:"latency"`
}

// Counters are the fields of the stats file (split.Snapshot) the judgement reads.
type Counters struct {
	// Since is when the counters started: another value means Caddy restarted in between.
	Since           string          `json:"since"`
	LatencyBoundsMs []float64       `json:"latencyBoundsMs"`
	Sides           map[string]Side `json:"sides"`
}

// Parse reads a stats file's text; an error names what is wrong.
func Parse(data []byte) (*Counters, error) {
	var counters Counters
	if err := json.Unmarshal(data, &counters); err != nil {
		return nil, fmt.Errorf("split stats: %v", err)
	}
	if counters.Since == "" || counters.Sides == nil || len(counters.LatencyBoundsMs) == 0 {
		return nil, fmt.Errorf("split stats: since, latencyBoundsMs and sides are required")
	}
	for key, side := range counters.Sides {
		if len(side.Latency) != len(counters.LatencyBoundsMs)+1 {
			return nil, fmt.Errorf("split stats: sides.%s.latency has %d buckets, not %d",
				key, len(side.Latency), len(counters.LatencyBoundsMs)+1)
		}
	}
	return &counters, nil
}

// Figures are what the new release did during one step.
type Figures struct {
	Requests int64
	// Errors are 5xx answers (a failed dial included).
	Errors int64
	// P95Ms is the 95th percentile of latency in ms; +Inf past the last bound, NaN without requests.
	P95Ms float64
}

// ErrorRate is Errors in % of Requests; 0 without requests.
func (f Figures) ErrorRate() float64 {
	if f.Requests == 0 {
		return 0
	}
	return 100 * float64(f.Errors) / float64(f.Requests)
}

// StepFigures are the figures of side `key` (the split file's first field) during a step: end
// minus start. Without a start, or when Caddy restarted in between (another Since), the end's
// counters are the step's.
func StepFigures(start *Counters, end *Counters, key string) Figures {
	var base Side
	if start != nil && start.Since == end.Since {
		base = start.Sides[key]
	}
	after := end.Sides[key]
	latency := make([]int64, len(after.Latency))
	for i, count := range after.Latency {
		latency[i] = count
		if i < len(base.Latency) {
			latency[i] -= base.Latency[i]
		}
	}
	return Figures{
		Requests: after.Requests - base.Requests,
		Errors:   after.Errors - base.Errors,
		P95Ms:    Percentile(latency, end.LatencyBoundsMs, 95),
	}
}

// Percentile is the `p`th percentile of a histogram (counts per bucket of `bounds`, the last
// bucket unbounded), interpolated linearly inside its bucket; +Inf past the last bound, NaN
// for an empty histogram.
func Percentile(counts []int64, bounds []float64, p float64) float64 {
	var total int64
	for _, count := range counts {
		total += count
	}
	if total == 0 {
		return math.NaN()
	}
	rank := int64(math.Ceil(p / 100 * float64(total)))
	var below int64
	for i, count := range counts {
		if count > 0 && below+count >= rank {
			if i >= len(bounds) {
				return math.Inf(1)
			}
			lower := 0.0
			if i > 0 {
				lower = bounds[i-1]
			}
			return lower + (bounds[i]-lower)*float64(rank-below)/float64(count)
		}
		below += count
	}
	return math.Inf(1)
}

// Analysis are a step's thresholds (`rollout.analysis`).
type Analysis struct {
	// MaxErrorRate is the most 5xx answers, in % of the requests.
	MaxErrorRate float64
	// MaxP95Ms is the slowest p95 in ms; 0: latency is not judged.
	MaxP95Ms float64
	// MinRequests is the fewest requests a step needs to be judged.
	MinRequests int64
}

// Verdict is a step's verdict: Message is what the update prints, for a pass as for a failure.
type Verdict struct {
	Pass    bool
	Message string
}

func number(value float64) string {
	return strconv.FormatFloat(value, 'f', -1, 64)
}

func percent(value float64) string {
	return number(math.Round(value*10)/10) + "%"
}

func milliseconds(value float64) string {
	if math.IsInf(value, 1) {
		return "over 10000 ms"
	}
	return number(math.Round(value)) + " ms"
}

// Judge judges the step `label` (e.g. `canary 10%`): too few requests, then the error rate,
// then the p95 (when MaxP95Ms is set). The first failure is the verdict.
func Judge(label string, figures Figures, analysis Analysis) Verdict {
	if figures.Requests < analysis.MinRequests {
		return Verdict{false, fmt.Sprintf(
			"%s: %d requests reached the new release, fewer than minRequests %d: too few to judge",
			label, figures.Requests, analysis.MinRequests)}
	}
	failed := fmt.Sprintf("%d of %d requests failed", figures.Errors, figures.Requests)
	// errors/requests > maxErrorRate%, without rounding.
	if 100*float64(figures.Errors) > analysis.MaxErrorRate*float64(figures.Requests) {
		return Verdict{false, fmt.Sprintf("%s: %s (%s > %s%%)",
			label, failed, percent(figures.ErrorRate()), number(analysis.MaxErrorRate))}
	}
	p95 := figures.P95Ms
	if math.IsNaN(p95) {
		p95 = 0
	}
	if analysis.MaxP95Ms > 0 && p95 > analysis.MaxP95Ms {
		return Verdict{false, fmt.Sprintf("%s: p95 %s over %d requests (> %s ms)",
			label, milliseconds(p95), figures.Requests, number(analysis.MaxP95Ms))}
	}
	latency := "p95 " + milliseconds(p95)
	if analysis.MaxP95Ms > 0 {
		latency += " ≤ " + number(analysis.MaxP95Ms) + " ms"
	}
	return Verdict{true, fmt.Sprintf("%s: %s (%s ≤ %s%%), %s",
		label, failed, percent(figures.ErrorRate()), number(analysis.MaxErrorRate), latency)}
}
