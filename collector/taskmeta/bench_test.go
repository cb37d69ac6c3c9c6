package taskmeta

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// BenchmarkCollect measures one collection cycle of a ten-container task over
// loopback HTTP: both requests, decoding, translation and publishing.
func BenchmarkCollect(b *testing.B) {
	for _, v := range []struct {
		name    string
		variant sim.Variant
	}{{"fargate-cgroupv1", sim.Fargate}, {"ec2-cgroupv2", sim.EC2}} {
		b.Run(v.name, func(b *testing.B) {
			srv := httptest.NewServer(sim.NewTaskSim(v.variant, nil).WithContainers(10).Handler())
			defer srv.Close()
			c := New(Name, NewClient(srv.URL, time.Second), collector.NewStore(nil), slog.New(slog.DiscardHandler))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Collect(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
