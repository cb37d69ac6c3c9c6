//go:build !sidecar

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/taskmeta"
	"github.com/ecswatch/ecswatch/deploy"
	"github.com/ecswatch/ecswatch/exporters/prometheus"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// demoSD is the demo's service discovery world: cluster sd-prod, whose
// awsvpc tasks run an ecswatch sidecar (a real one: the taskmeta collector
// and the Prometheus exporter over a simulated metadata endpoint, without
// identity labels, as README's prometheus.yml expects) and app exporters on
// 127.0.0.2-3, and whose bridge task's exporters are on 127.0.0.4.
type demoSD struct {
	targets *sim.DiscoveryTargets // nil where the addresses cannot be bound
	ec2API  *httptest.Server
}

func demoDiscovery(ctx context.Context, fakeECS *sim.ECS, metadataURL string, start time.Time, stderr io.Writer) *demoSD {
	logger := slog.New(slog.DiscardHandler)
	store := collector.NewStore(nil)
	exp := prometheus.New(store, prometheus.Options{IdentityLabels: false})
	reg, err := prometheus.NewRegistry(false)
	if err != nil {
		fmt.Fprintf(stderr, "demo: no service discovery cluster: %v\n", err)
		return &demoSD{}
	}
	handler, err := prometheus.NewHandler(reg, exp, prometheus.ServerConfig{TelemetryPath: "/metrics", DisableExporterMetrics: true}, logger)
	if err != nil {
		fmt.Fprintf(stderr, "demo: no service discovery cluster: %v\n", err)
		return &demoSD{}
	}
	targets, err := sim.ServeDiscoveryTargets(handler)
	if err != nil {
		fmt.Fprintf(stderr, "demo: no service discovery cluster (%v)\n", err)
		return &demoSD{}
	}
	scheduler := collector.NewScheduler(store, logger, collector.Job{
		Collector: taskmeta.New(taskmeta.Name, taskmeta.NewClient(metadataURL, time.Second), store, logger),
		Interval:  2 * time.Second, Timeout: time.Second,
	})
	go scheduler.Run(ctx)
	targets.Register(fakeECS, start)
	return &demoSD{targets: targets, ec2API: httptest.NewServer(sim.NewEC2API(fakeECS))}
}

// configure turns service discovery on over the demo's cluster.
func (d *demoSD) configure(c *config.Config) {
	if d.targets == nil {
		return
	}
	c.Standalone.Clusters = append(c.Standalone.Clusters, sim.DiscoveryCluster)
	sd := &c.Standalone.ServiceDiscovery
	sd.Enabled, sd.EC2Endpoint, sd.Sidecar.Port = true, d.ec2API.URL, d.targets.SidecarPort
}

func (d *demoSD) describe(stderr io.Writer) {
	if d.targets == nil {
		return
	}
	fmt.Fprintf(stderr, "demo: simulated cluster %s: ecswatch sidecars and app exporters on %s and %s, a bridge task's exporters on %s, served to Prometheus's http_sd_configs at %s on the web server\n",
		sim.DiscoveryCluster, d.targets.WebIPs[0], d.targets.WebIPs[1], d.targets.InstanceIP, config.Default().Standalone.ServiceDiscovery.Path)
}

func (d *demoSD) close() {
	if d.targets != nil {
		d.targets.Close()
		d.ec2API.Close()
	}
}

// discoveryScrapeConfigs are deploy/prometheus/ecs-sd.yml's scrape
// configurations pointed at the demo at target, refreshed every 5s.
func discoveryScrapeConfigs(target string) string {
	text := string(deploy.ServiceDiscoveryConfig)
	_, jobs, _ := strings.Cut(text, "scrape_configs:\n")
	return strings.NewReplacer("http://ecswatch:9787", "http://"+target, "refresh_interval: 30s", "refresh_interval: 5s").Replace(jobs)
}
