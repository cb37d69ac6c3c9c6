//go:build !sidecar

package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/common/version"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/ecsapi"
	"github.com/ecswatch/ecswatch/collector/events"
	"github.com/ecswatch/ecswatch/collector/insights"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/exporters/otlp"
	"github.com/ecswatch/ecswatch/exporters/prometheus"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/config"
)

// The full build: everything. The sidecar build (-tags sidecar) leaves out
// the AWS collectors and the OTLP exporter, whose libraries a sidecar never
// uses but whose package initialisation alone costs it megabytes of memory.

// trimMemory does nothing in the full build: a standalone's heap is large
// and busy, and the runtime's scavenger returns what it frees at its pace.
// (The full image hands the sidecar role to the sidecar build, which trims.)
func trimMemory(context.Context, *collector.Store, *prometheus.Served, *slog.Logger) {}

// awsJobs builds the collectors that read AWS APIs: standalone, Container
// Insights and events.
func awsJobs(cfg *config.Config, store *collector.Store, logger *slog.Logger, simulated bool, mount mounter) ([]collector.Job, error) {
	var jobs []collector.Job
	for _, b := range []struct {
		on    bool
		build func(*config.Config, *collector.Store, *slog.Logger, bool) (collector.Job, error)
	}{
		{cfg.Standalone.Enabled, func(cfg *config.Config, store *collector.Store, logger *slog.Logger, simulated bool) (collector.Job, error) {
			return standaloneJob(cfg, store, logger, simulated, mount)
		}},
		{cfg.Insights.Enabled, insightsJob},
		{cfg.Events.Enabled, eventsJob},
	} {
		if !b.on {
			continue
		}
		job, err := b.build(cfg, store, logger, simulated)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job)
	}
	return jobs, nil
}

// otlpExporter builds the OTLP exporter when it is enabled.
func otlpExporter(cfg *config.Config, store *collector.Store, logger *slog.Logger, lookup func(string) (string, bool)) (pusher, error) {
	if !cfg.OTLPEnabled(lookup) {
		return nil, nil
	}
	ot := cfg.Exporters.OTLP
	logger.Info("otlp exporter enabled", "endpoint", ot.Endpoint, "protocol", ot.Protocol)
	return otlp.New(store, store.Subscribe(otlp.Name, 1024), logger, otlp.Options{
		Endpoint: ot.Endpoint, Protocol: ot.Protocol, Insecure: ot.Insecure, Headers: ot.Headers,
		Compression: ot.Compression, Temporality: ot.Temporality,
		Interval: time.Duration(ot.Interval), Timeout: time.Duration(ot.Timeout), Naming: ot.Naming,
	}, version.Version), nil
}

// loadAWS builds the aws.Config of one collector.
func loadAWS(opts awsapi.Options, store *collector.Store, simulated bool) (aws.Config, error) {
	if simulated {
		sim := awsapi.Simulator(opts.Endpoint, opts.Region)
		opts.StaticCredentials, opts.MaxBackoff = sim.StaticCredentials, time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return awsapi.LoadConfig(ctx, opts, store)
}

func standaloneJob(cfg *config.Config, store *collector.Store, logger *slog.Logger, simulated bool, mount mounter) (collector.Job, error) {
	st := cfg.Standalone
	awsCfg, err := loadAWS(awsapi.Options{
		Region: st.Region, Endpoint: st.Endpoint,
		MaxAttempts: st.MaxAttempts, MaxBackoff: 20 * time.Second, AttemptTimeout: time.Duration(st.CallTimeout),
	}, store, simulated)
	if err != nil {
		return collector.Job{}, fmt.Errorf("standalone: %w", err)
	}
	opts := ecsapi.Options{
		Clusters:    st.Clusters,
		CallTimeout: time.Duration(st.CallTimeout),
		Health: rules.Options{
			StuckAfter: time.Duration(st.Health.StuckAfter), ProgressWindow: time.Duration(st.Health.ProgressWindow),
			PlacementFromEvents: cfg.Events.Enabled,
		},
	}
	client := ecs.NewFromConfig(awsCfg)
	if st.ServiceDiscovery.Enabled {
		serviceDiscovery(cfg, awsCfg, client, store, logger, simulated, mount, &opts)
	}
	c := ecsapi.New(client, store, logger, opts)
	logger.Info("standalone collector enabled", "region", awsCfg.Region, "clusters", st.Clusters, "interval", st.Interval)
	return collector.Job{Collector: c, Interval: time.Duration(st.Interval), Timeout: time.Duration(st.Timeout), StaleAfter: time.Duration(st.StaleAfter)}, nil
}

func insightsJob(cfg *config.Config, store *collector.Store, logger *slog.Logger, simulated bool) (collector.Job, error) {
	in := cfg.Insights
	region := in.Region
	if region == "" {
		region = cfg.Standalone.Region
	}
	awsCfg, err := loadAWS(awsapi.Options{
		Region: region, Endpoint: in.Endpoint,
		MaxAttempts: 5, MaxBackoff: 20 * time.Second, AttemptTimeout: time.Duration(in.CallTimeout),
	}, store, simulated)
	if err != nil {
		return collector.Job{}, fmt.Errorf("insights: %w", err)
	}
	c := insights.New(cloudwatch.NewFromConfig(awsCfg), store, logger, insights.Options{
		Clusters: in.Clusters, Period: time.Duration(in.Period), Delay: time.Duration(in.Delay),
		Lookback: time.Duration(in.Lookback), StaleAfter: time.Duration(in.StaleAfter),
		Enhanced: in.Enhanced, CallTimeout: time.Duration(in.CallTimeout),
	})
	logger.Info("container insights collector enabled", "region", awsCfg.Region, "enhanced", in.Enhanced, "interval", in.Interval)
	return collector.Job{Collector: c, Interval: time.Duration(in.Interval), Timeout: time.Duration(in.Interval), StaleAfter: time.Duration(in.StaleAfter)}, nil
}

func eventsJob(cfg *config.Config, store *collector.Store, logger *slog.Logger, simulated bool) (collector.Job, error) {
	ev := cfg.Events
	const callTimeout = 10 * time.Second
	awsCfg, err := loadAWS(awsapi.Options{
		Region: ev.Region, Endpoint: ev.Endpoint,
		MaxAttempts: 3, MaxBackoff: 5 * time.Second, AttemptTimeout: time.Duration(ev.WaitTime) + callTimeout,
	}, store, simulated)
	if err != nil {
		return collector.Job{}, fmt.Errorf("events: %w", err)
	}
	// An applied message waits, undeleted, for an exporter to deliver its
	// effect for at most half its visibility timeout. Unless configured,
	// receives ask for two minutes: a minute of waiting covers the scrape
	// intervals in common use.
	visibility := time.Duration(ev.VisibilityTimeout)
	if visibility == 0 {
		visibility = events.DefaultVisibilityTimeout
	}
	c := events.New(sqs.NewFromConfig(awsCfg), store, logger, events.Options{
		QueueURL: ev.QueueURL, WaitTime: time.Duration(ev.WaitTime),
		VisibilityTimeout: visibility, MaxMessages: ev.MaxMessages,
		HoldForExport: visibility / 2,
	})
	logger.Info("events consumer enabled", "queue_url", ev.QueueURL, "region", awsCfg.Region)
	// Receives run back to back: each is a long poll. A failing queue is
	// retried with backoff up to half a minute.
	return collector.Job{Collector: c, Interval: 10 * time.Millisecond, Timeout: time.Duration(ev.WaitTime) + 2*callTimeout, MaxBackoff: 30 * time.Second}, nil
}
