package push

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

type counter struct {
	mu sync.Mutex
	n  map[string]uint64
}

func (c *counter) Count(name, label string, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[name+"/"+label] += n
}

// TestDropsCountIncreases: a client's cumulative figure and single losses
// both end up as the exporter's drop counter, never counted twice.
func TestDropsCountIncreases(t *testing.T) {
	t.Parallel()
	c := &counter{n: map[string]uint64{}}
	d := NewDrops(c, "datadog")
	d.Total(3)
	d.Total(3)
	d.Total(5)
	d.Add(2)
	if got := c.n[collector.DroppedMetric+"/datadog"]; got != 7 {
		t.Errorf("dropped = %d, want 7", got)
	}
}

// TestLoopHandlesEventsAndTicks until its context ends.
func TestLoopHandlesEventsAndTicks(t *testing.T) {
	t.Parallel()
	events := make(chan collector.Event, 1)
	events <- collector.Event{ID: "a"}
	ctx, cancel := context.WithCancel(t.Context())
	var handled, ticks int
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(ctx, events, func(collector.Event) { handled++ }, time.Millisecond, func() {
			if ticks++; ticks >= 3 && handled == 1 {
				cancel()
			}
		})
	}()
	<-done
	if handled != 1 || ticks < 3 {
		t.Errorf("handled %d events and %d ticks", handled, ticks)
	}
}
