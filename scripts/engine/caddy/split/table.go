// Package split is Slipway's own Caddy module for progressive delivery: it splits a
// service's requests between two releases by weight, read per request from a small file
// the host renames into place, so a weight change is one rename and never a config reload
// (no client connection, keep-alive included, is closed), and it counts each side's
// requests, 5xx answers and latency for the canary analysis.
//
// The split file (`split/<service>` in the edge's state directory) has one line per side:
//
//	<upstream> <weight>
//
// `<upstream>` is a dial address (`web-3f2a…:8080`), or several joined by commas (the
// replicas of one release); `<weight>` a whole number from 0 to 10000, relative to the
// sum of all weights. Blank lines and lines starting with `#` are ignored. Every client
// falls into one of Buckets buckets; the first line's side takes the lowest buckets, so
// when the host puts the new release first and raises its weight, clients only ever move
// from the old release to the new one.
package split

import (
	"fmt"
	"strconv"
	"strings"
)

// Buckets is how many buckets clients are spread over (a sticky cookie names one).
const Buckets = 10000

// MaxWeight is the largest weight one line may give.
const MaxWeight = 10000

// Side is one line of a split file.
type Side struct {
	// Upstream is the line's first field as written: the side's name in the stats.
	Upstream string `json:"upstream"`
	// Dials are the addresses reverse_proxy chooses from for this side.
	Dials []string `json:"-"`
	// Weight is relative to the table's Total.
	Weight int `json:"weight"`
}

// Table is a parsed split file.
type Table struct {
	Sides []Side
	Total int
}

// Parse reads a split file's text. Every problem is an error naming its line.
func Parse(text []byte) (*Table, error) {
	table := &Table{}
	seen := map[string]int{}
	for index, raw := range strings.Split(string(text), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		number := index + 1
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: %q is not `<upstream> <weight>`", number, line)
		}
		weight, err := strconv.Atoi(fields[1])
		if err != nil || weight < 0 || weight > MaxWeight {
			return nil, fmt.Errorf("line %d: weight %q is not a whole number from 0 to %d", number, fields[1], MaxWeight)
		}
		dials := strings.Split(fields[0], ",")
		for _, dial := range dials {
			if colon := strings.LastIndex(dial, ":"); colon <= 0 || colon == len(dial)-1 {
				return nil, fmt.Errorf("line %d: upstream %q is not <host>:<port>", number, dial)
			}
		}
		if first, dup := seen[fields[0]]; dup {
			return nil, fmt.Errorf("line %d: upstream %q is also on line %d", number, fields[0], first)
		}
		seen[fields[0]] = number
		table.Sides = append(table.Sides, Side{Upstream: fields[0], Dials: dials, Weight: weight})
		table.Total += weight
	}
	if len(table.Sides) == 0 {
		return nil, fmt.Errorf("no `<upstream> <weight>` line")
	}
	if table.Total == 0 {
		return nil, fmt.Errorf("every weight is 0: nothing could answer")
	}
	return table, nil
}

// Pick returns the side of a client in `bucket` (0 ≤ bucket < Buckets): the first line's
// side takes buckets [0, Buckets×w1/Total), the next the following ones, and so on.
func (t *Table) Pick(bucket int) *Side {
	// bucket*Total/Buckets < cumulative, without rounding: bucket*Total < cumulative*Buckets.
	cumulative := 0
	for i := range t.Sides {
		cumulative += t.Sides[i].Weight
		if bucket*t.Total < cumulative*Buckets {
			return &t.Sides[i]
		}
	}
	return &t.Sides[len(t.Sides)-1]
}
