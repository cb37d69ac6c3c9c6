package insights

import (
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// BenchmarkLargeCluster reads Container Insights for the simulated large
// cluster (1,000 services in 1,000 families) and reports GetMetricData calls
// per cycle against the minimum, ceil(queries / 500).
func BenchmarkLargeCluster(b *testing.B) {
	large := sim.LargeCluster("large", 1000, 10, start)
	var services []*collector.Service
	for _, s := range large.Services {
		services = append(services, svc("large", s.Name, s.Name, "app"))
	}
	f := newFixture(b, false, services...)
	queries := len(f.c.Queries(f.store.Snapshot()))
	want := (queries + MaxQueries - 1) / MaxQueries
	calls := 0
	for b.Loop() {
		f.fake.ResetCalls()
		f.clock.Set(f.clock.Now().Add(time.Minute))
		if err := f.c.Collect(b.Context()); err != nil {
			b.Fatal(err)
		}
		calls, _ = f.fake.Calls()
		if calls != want {
			b.Fatalf("%d calls for %d queries, want %d", calls, queries, want)
		}
	}
	b.ReportMetric(float64(queries), "queries/cycle")
	b.ReportMetric(float64(calls), "calls/cycle")
	b.ReportMetric(float64(calls)/float64(want), "calls/minimum")
}
