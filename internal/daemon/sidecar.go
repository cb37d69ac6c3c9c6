//go:build sidecar

package daemon

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/config"
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
