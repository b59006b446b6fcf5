package remote

import (
	"context"
	"fmt"
	"strconv"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
)

// Backoff between dial attempts, as upstream (the Pulumi SDK's retry defaults):
// the first wait is 100 ms, each next one 1.5 times longer, never more than 5 s.
const (
	firstDialDelay = 100 * time.Millisecond
	dialBackoff    = 1.5
	maxDialDelay   = 5 * time.Second
)

// unlimitedDials is the dialErrorLimit that never gives up.
const unlimitedDials = -1

// sleep waits d or until ctx ends; tests replace it to record the delays.
var sleep = func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dialWithRetry calls dial until it succeeds, making at most limit+1 attempts
// (limit -1: no limit). After each failed attempt but the last it logs
// "<what> i/<limit> failed: retrying" and waits; the last failure is returned as
// "after <limit> failed attempts: <cause>". Every error is retried, an
// authentication failure included, as upstream v1.2.1 does.
func dialWithRetry[T any](ctx context.Context, what string, limit int, dial func() (T, error)) (T, error) {
	var zero T
	shown := "inf"
	if limit != unlimitedDials {
		shown = strconv.Itoa(limit)
	}
	delay := firstDialDelay
	for attempt := 1; ; attempt++ {
		result, err := dial()
		if err == nil {
			return result, nil
		}
		if limit != unlimitedDials && attempt > limit {
			return zero, fmt.Errorf("after %d failed attempts: %w", limit, err)
		}
		p.GetLogger(ctx).InfoStatusf("%s %d/%s failed: retrying", what, attempt, shown)
		if err := sleep(ctx, delay); err != nil {
			return zero, err
		}
		delay = min(time.Duration(float64(delay)*dialBackoff), maxDialDelay)
	}
}
