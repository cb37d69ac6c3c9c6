package ecsapi

import (
	"fmt"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/sim"
)

// BenchmarkLargeCluster runs collection cycles over a cluster of 1,000
// services and 10,000 running tasks (100 stopped, 200 instances) through the
// real SDK client and the simulated API on loopback. It reports API calls per
// cycle, their ratio to the minimum the batch limits allow (must be 1), and
// the peak live heap of the process during the cycles. The simulator runs in
// the same process, so the heap figure includes its JSON encoding too and is
// an upper bound for ecswatch alone.
//
// With deploying services, each adds its service deployments' calls: with
// none, a cycle makes no ServiceDeployments call at all.
func BenchmarkLargeCluster(b *testing.B) {
	for _, deploying := range []int{0, 10} {
		b.Run(fmt.Sprintf("deploying=%d", deploying), func(b *testing.B) { benchmarkLargeCluster(b, deploying) })
	}
}

func benchmarkLargeCluster(b *testing.B, deploying int) {
	f := newFixture(b, "large")
	large := sim.LargeCluster("large", 1000, 10, start)
	sim.Deploying(large, deploying, start)
	f.fake.AddCluster(large)
	f.collectAt(b, 0) // the first cycle describes the 100 stopped tasks once
	want := 0
	for _, n := range minimumCalls(1000, 10000, 0, 100, 200, 0, deploying) {
		want += n
	}

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()

	calls := 0
	b.ResetTimer()
	for b.Loop() {
		f.fake.ResetCalls()
		if err := f.c.Collect(b.Context()); err != nil {
			b.Fatal(err)
		}
		calls = 0
		for _, n := range f.fake.Calls() {
			calls += n
		}
		if calls != want {
			b.Fatalf("%d calls in a cycle, want the minimum %d: %v", calls, want, f.fake.Calls())
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(calls), "calls/cycle")
	b.ReportMetric(float64(calls)/float64(want), "calls/minimum")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
