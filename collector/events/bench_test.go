package events

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// BenchmarkEventLatency measures, for one event at a time, the time from the
// message becoming visible in the queue to the OOM counter changing in the
// Store, with a consumer long-polling through the real SDK client. It
// reports the median and 99th percentile.
func BenchmarkEventLatency(b *testing.B) {
	q := newQueue(b)
	c, store := q.consumer(b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			_ = c.Collect(ctx)
		}
	}()
	template := fixture(b, "task_stopped_oom")
	var latencies []time.Duration
	i := 0
	for b.Loop() {
		body := strings.ReplaceAll(template, "5c3a9e1f0b2d4c6e8a0b1c2d3e4f5a6b", fmt.Sprintf("%032x", i))
		i++
		start := time.Now()
		q.fake.Send(queue, body)
		for total(store, collector.EventOOMKill) != uint64(i) {
			runtime.Gosched()
		}
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
