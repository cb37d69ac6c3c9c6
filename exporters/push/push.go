// Package push is what every push exporter (Datadog, OTLP) repeats: handing
// the Store's events to the backend as they come and on a schedule, draining
// what is pending when the exporter stops, and counting what it drops.
package push

import (
	"context"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// Loop hands each event to handle as it comes and, when interval is
// positive, calls tick every interval, until ctx ends.
func Loop(ctx context.Context, events <-chan collector.Event, handle func(collector.Event), interval time.Duration, tick func()) {
	var ticks <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			handle(ev)
		case <-ticks:
			tick()
		}
	}
}

// Counter is where an exporter counts what it dropped
// (ecswatch_exporter_dropped_total); *collector.Store is one.
type Counter interface {
	Count(name, label string, n uint64)
}

// Drops counts what exporter name could not deliver.
type Drops struct {
	counter Counter
	name    string
	total   uint64 // the last cumulative figure seen by Total
}

// NewDrops returns the drop count of exporter name.
func NewDrops(counter Counter, name string) *Drops { return &Drops{counter: counter, name: name} }

// Add counts n more dropped items.
func (d *Drops) Add(n uint64) {
	if n > 0 {
		d.counter.Count(collector.DroppedMetric, d.name, n)
	}
}

// Total counts the increase of a client's own cumulative drop figure.
func (d *Drops) Total(total uint64) {
	if total > d.total {
		d.Add(total - d.total)
		d.total = total
	}
}
