package split

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyBoundsMs are the upper bounds (inclusive, milliseconds) of the latency histogram's
// buckets; one more bucket counts everything slower. The host computes percentiles of a
// step from the difference of two snapshots, so the counts only ever grow.
var LatencyBoundsMs = []float64{1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000}

// sideCounters are one side's counters since the stats began; lock-free on the request path.
type sideCounters struct {
	requests atomic.Int64
	errors   atomic.Int64
	latency  []atomic.Int64 // len(LatencyBoundsMs)+1
}

// SideSnapshot is one side's counters in the stats file.
type SideSnapshot struct {
	// Requests answered through this side (every status).
	Requests int64 `json:"requests"`
	// Errors is how many of them were answered with a 5xx (a failed dial included).
	Errors int64 `json:"errors"`
	// Latency counts the requests per bucket of LatencyBoundsMs (the last: slower than all).
	Latency []int64 `json:"latency"`
}

// Snapshot is the stats file's content: counters since Since, monotonic until the edge's
// Caddy restarts (then Since changes).
type Snapshot struct {
	Service string `json:"service"`
	// Since is when these counters started (RFC 3339): a new value means a restart.
	Since string `json:"since"`
	// Time is when the snapshot was taken (RFC 3339).
	Time string `json:"time"`
	// Split is the split in force, as read from the split file; empty: none (all requests
	// go to the service's upstream file, uncounted).
	Split []Side `json:"split"`
	// SplitError is why the split file's last version was refused ("" when it was not).
	SplitError string `json:"splitError"`
	// LatencyBoundsMs are the histogram's bucket bounds, for the reader.
	LatencyBoundsMs []float64 `json:"latencyBoundsMs"`
	// Sides are the counters by upstream (the split file's first field).
	Sides map[string]SideSnapshot `json:"sides"`
}

// Stats counts requests per side and writes them to a file.
type Stats struct {
	service string
	since   time.Time
	mu      sync.RWMutex
	sides   map[string]*sideCounters
	changed atomic.Bool
}

// NewStats starts counters for `service`, now.
func NewStats(service string, now time.Time) *Stats {
	return &Stats{service: service, since: now, sides: map[string]*sideCounters{}}
}

func (s *Stats) side(upstream string) *sideCounters {
	s.mu.RLock()
	counters := s.sides[upstream]
	s.mu.RUnlock()
	if counters != nil {
		return counters
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if counters = s.sides[upstream]; counters == nil {
		counters = &sideCounters{latency: make([]atomic.Int64, len(LatencyBoundsMs)+1)}
		s.sides[upstream] = counters
	}
	return counters
}

// latencyBucket is the index of the histogram bucket of `elapsed`.
func latencyBucket(elapsed time.Duration) int {
	ms := float64(elapsed) / float64(time.Millisecond)
	for i, bound := range LatencyBoundsMs {
		if ms <= bound {
			return i
		}
	}
	return len(LatencyBoundsMs)
}

// Record counts one answered request of side `upstream`.
func (s *Stats) Record(upstream string, status int, elapsed time.Duration) {
	counters := s.side(upstream)
	counters.requests.Add(1)
	if status >= 500 && status <= 599 {
		counters.errors.Add(1)
	}
	counters.latency[latencyBucket(elapsed)].Add(1)
	s.changed.Store(true)
}

// MarkChanged asks for the next write even without a request (the split changed).
func (s *Stats) MarkChanged() { s.changed.Store(true) }

// Snapshot reads every counter now.
func (s *Stats) Snapshot(now time.Time, table *Table, splitErr error) Snapshot {
	snapshot := Snapshot{
		Service:         s.service,
		Since:           s.since.UTC().Format(time.RFC3339Nano),
		Time:            now.UTC().Format(time.RFC3339Nano),
		Split:           []Side{},
		LatencyBoundsMs: LatencyBoundsMs,
		Sides:           map[string]SideSnapshot{},
	}
	if table != nil {
		snapshot.Split = table.Sides
	}
	if splitErr != nil {
		snapshot.SplitError = splitErr.Error()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for upstream, counters := range s.sides {
		side := SideSnapshot{
			Requests: counters.requests.Load(),
			Errors:   counters.errors.Load(),
			Latency:  make([]int64, len(counters.latency)),
		}
		for i := range counters.latency {
			side.Latency[i] = counters.latency[i].Load()
		}
		snapshot.Sides[upstream] = side
	}
	return snapshot
}

// TakeChanged reports whether anything was counted since the last call, and clears it.
func (s *Stats) TakeChanged() bool { return s.changed.Swap(false) }

// WriteFile writes `snapshot` to `path` atomically: a temporary file beside it, renamed.
func WriteFile(path string, snapshot Snapshot) error {
	data, err := json.Marshal(snapshot)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
