package events

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// BenchmarkEventLatency measures, for one event at a time, the time from the
// message becoming visible in the queue to the OOM counter changing in the
// Store, with a consumer long-polling through the real SDK client. It
// reports the median and 99th percentile.
func BenchmarkEventLatency(b *testing.B) {
	q, store := consuming(b)
	template := fixture(b, "task_stopped_oom")
	var latencies []time.Duration
	i := 0
	for b.Loop() {
		body := strings.ReplaceAll(template, templateTaskID, fmt.Sprintf("%032x", i))
		i++
		start := time.Now()
		q.fake.Send(queue, body)
		for total(store, collector.EventOOMKill) != uint64(i) {
			runtime.Gosched()
		}
		latencies = append(latencies, time.Since(start))
	}
	reportLatencies(b, latencies)
}

// templateTaskID is the task ID of the task_stopped_oom fixture, replaced
// to make each event a new one.
const templateTaskID = "5c3a9e1f0b2d4c6e8a0b1c2d3e4f5a6b"

// consuming starts a consumer long-polling the simulated queue until the
// benchmark ends, and returns the queue and the consumer's Store.
func consuming(b *testing.B) (*bench, *collector.Store) {
	q := newQueue(b)
	c, store := q.consumer(b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		for ctx.Err() == nil {
			_ = c.Collect(ctx)
		}
	}()
	return q, store
}

// reportLatencies reports the median and 99th percentile of latencies.
func reportLatencies(b *testing.B, latencies []time.Duration) {
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkEventLatencyAt1000PerSecond sends b.N events at 1,000 a second
// through the simulated queue and measures, per event, the time from its
// message becoming visible to the Store counting it (as the Store's
// subscribers see it). It reports the median and 99th percentile; issue 22's
// budget is a p99 of 50 ms.
func BenchmarkEventLatencyAt1000PerSecond(b *testing.B) {
	q, store := consuming(b)
	counted := store.Subscribe("bench", 1<<16)
	template := fixture(b, "task_stopped_oom")
	n := b.N
	sent := make([]time.Time, n)
	var mu sync.Mutex
	b.ResetTimer()
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := range n {
			<-tick.C
			mu.Lock()
			sent[i] = time.Now()
			mu.Unlock()
			q.fake.Send(queue, strings.ReplaceAll(template, templateTaskID, fmt.Sprintf("%032x", i)))
		}
	}()
	latencies := make([]time.Duration, 0, n)
	deadline := time.After(time.Duration(n)*time.Millisecond + 30*time.Second)
	for len(latencies) < n {
		select {
		case ev := <-counted:
			if ev.Kind != collector.EventOOMKill {
				continue
			}
			at := time.Now()
			var i int
			if _, err := fmt.Sscanf(ev.TaskARN[strings.LastIndexByte(ev.TaskARN, '/')+1:], "%x", &i); err != nil || i >= n {
				b.Fatalf("unexpected event %s", ev.ID)
			}
			mu.Lock()
			latencies = append(latencies, at.Sub(sent[i]))
			mu.Unlock()
		case <-deadline:
			b.Fatalf("%d of %d events counted", len(latencies), n)
		}
	}
	b.StopTimer()
	reportLatencies(b, latencies)
}
