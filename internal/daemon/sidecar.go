//go:build sidecar

package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/exporters/prometheus"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/memtrim"
)

// The sidecar build (-tags sidecar): the metadata endpoint collector, the
// Prometheus and Datadog exporters, and nothing that needs the AWS SDK or
// gRPC, for the smallest footprint beside an application.

var errNotInSidecarBuild = errors.New("not in the sidecar build of ecswatch (built with -tags sidecar); use the full image")

func awsJobs(cfg *config.Config, _ *collector.Store, _ *slog.Logger, _ bool, _ mounter) ([]collector.Job, error) {
	if cfg.Standalone.Enabled || cfg.Insights.Enabled || cfg.Events.Enabled {
		return nil, fmt.Errorf("standalone, insights and events: %w", errNotInSidecarBuild)
	}
	return nil, nil
}

func otlpExporter(cfg *config.Config, _ *collector.Store, _ *slog.Logger, lookup func(string) (string, bool)) (pusher, error) {
	if cfg.OTLPEnabled(lookup) {
		return nil, fmt.Errorf("otlp exporter: %w", errNotInSidecarBuild)
	}
	return nil, nil
}

// trimMemory hands what the sidecar holds between polls back to the kernel
// a second after a publish, once the poll and the render it starts are
// done, at most every 10 seconds (the default interval), and never within
// 200 ms of a scrape: about 2 MiB of its resident memory for a few
// milliseconds of CPU each time, during which requests wait
// (internal/memtrim, docs/benchmarks.md).
func trimMemory(ctx context.Context, store *collector.Store, served *prometheus.Served, logger *slog.Logger) {
	memtrim.Run(ctx, store.Published, memtrim.Options{
		Settle: time.Second,
		Gap:    10 * time.Second,
		Busy:   func() bool { return time.Since(served.Last()) < 200*time.Millisecond },
	}, logger)
}
