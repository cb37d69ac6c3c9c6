package ecsapi

import (
	"flag"
	"fmt"
	"runtime"
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
		b.Run(fmt.Sprintf("deploying=%d", deploying), func(b *testing.B) { benchmarkClusters(b, 1, 1000, deploying) })
	}
}

// BenchmarkTenTimesScale is issue 22's standalone scale: 20 clusters of 500
// services and 5,000 running tasks each (10,000 services, 100,000 tasks,
// 2,000 instances), ten services deploying in each. Besides the figures of
// BenchmarkLargeCluster it reports the allocations per cycle and per task.
// The minimum per cluster and API is minimumCalls(500, 5000, 0, 50, 100, 0,
// 10): 5 ListServices, 50 DescribeServices, 50+1 ListTasks, 50
// DescribeTasks, 1 ListContainerInstances, 1 DescribeContainerInstances, 10
// ListServiceDeployments, 1 DescribeServiceDeployments.
func BenchmarkTenTimesScale(b *testing.B) {
	benchmarkClusters(b, 20, 500, 10)
}

// benchmarkClusters runs collection cycles over clusters of services
// services with ten tasks each, deploying of them deploying.
func benchmarkClusters(b *testing.B, clusters, services, deploying int) {
	names := make([]string, clusters)
	for i := range names {
		names[i] = "large"
		if clusters > 1 {
			names[i] = fmt.Sprintf("large-%02d", i)
		}
	}
	f := newFixture(b, names...)
	for _, name := range names {
		c := sim.LargeCluster(name, services, 10, start)
		sim.Deploying(c, deploying, start)
		f.fake.AddCluster(c)
	}
	f.collectAt(b, 0) // the first cycle describes the stopped tasks once
	want := 0
	for _, n := range minimumCalls(services, services*10, 0, services/10, services*10/50, 0, deploying) {
		want += n * clusters
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
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
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
	runtime.ReadMemStats(&after)
	// Allocations of the collector and of the in-process simulator alike.
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(clusters*services*10), "allocs/task")
	// The same split by side, on one more cycle (see splitAllocs); not
	// while writing a memory profile, which it would distort.
	if f := flag.Lookup("test.memprofile"); f != nil && f.Value.String() != "" {
		return
	}
	reportAllocSplit(b, splitAllocs(b, func() {
		if err := f.c.Collect(b.Context()); err != nil {
			b.Fatal(err)
		}
	}), clusters*services*10)
}
