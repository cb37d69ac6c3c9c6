//go:build !sidecar

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/taskmeta"
	"github.com/ecswatch/ecswatch/deploy"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/daemon"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// demo runs the daemon against a simulated ECS served on loopback: a Fargate
// task (cgroup v1, awsvpc) through the regular sidecar settings, an EC2 task
// (cgroup v2, bridge mode) as a second sidecar collector, and an ECS API
// with the scenarios of sim.ShopScenario and sim.DeployLabScenario for the
// standalone collector.
func demo(f flags, promConfig string, stderr io.Writer) int {
	fargate := httptest.NewServer(sim.NewTaskSim(sim.Fargate, nil).Handler())
	defer fargate.Close()
	ec2 := httptest.NewServer(sim.NewTaskSim(sim.EC2, nil).Handler())
	defer ec2.Close()
	start := time.Now()
	fakeECS := sim.NewShopECS("eu-west-1", start)
	fakeECS.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))
	sim.AddWhyScenario(fakeECS, start)
	ecsAPI := httptest.NewServer(fakeECS)
	defer ecsAPI.Close()
	cwAPI := httptest.NewServer(sim.NewCloudWatch(nil))
	defer cwAPI.Close()
	fakeSQS := sim.NewSQS()
	sqsAPI := httptest.NewServer(fakeSQS)
	defer sqsAPI.Close()
	queueURL := fakeSQS.CreateQueue(sqsAPI.URL, "ecs-events", 30*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sim.Publish(ctx, fakeSQS, "ecs-events", start, time.Second, sim.ShopEvents("eu-west-1", start))
	sd := demoDiscovery(ctx, fakeECS, fargate.URL, start, stderr)
	defer sd.close()

	base := config.Default()
	base.Web.ListenAddress = "127.0.0.1" + config.DefaultListenAddress
	base.Log.Format = "logfmt"
	base.Sidecar.Endpoint = fargate.URL
	base.Sidecar.Interval = config.Duration(2 * time.Second)
	base.Sidecar.Timeout = config.Duration(time.Second)
	base.Standalone.Enabled = true
	base.Standalone.Endpoint = ecsAPI.URL
	base.Standalone.Region = "eu-west-1"
	base.Standalone.Clusters = []string{sim.ShopCluster, sim.DeployLabCluster, sim.WhyCluster}
	base.Standalone.Interval = config.Duration(10 * time.Second)
	base.Standalone.Timeout = config.Duration(8 * time.Second)
	base.Standalone.CallTimeout = config.Duration(5 * time.Second)
	base.Insights.Enabled = true
	base.Insights.Endpoint = cwAPI.URL
	base.Insights.Clusters = []string{sim.ShopCluster}
	base.Insights.Interval = config.Duration(15 * time.Second)
	base.Events.Enabled = true
	base.Events.Endpoint = sqsAPI.URL
	base.Events.Region = "eu-west-1"
	base.Events.QueueURL = queueURL
	base.Events.WaitTime = config.Duration(5 * time.Second)
	sd.configure(base)

	ec2Job := daemon.WithJob(func(store *collector.Store, logger *slog.Logger) collector.Job {
		return collector.Job{
			Collector: taskmeta.New("taskmeta-ec2-demo", taskmeta.NewClient(ec2.URL, time.Second), store, logger),
			Interval:  2 * time.Second,
			Timeout:   time.Second,
		}
	})
	fmt.Fprintf(stderr, "demo: simulated task metadata endpoints at %s (task storefront, Fargate) and %s (task billing-api, EC2); their worker container is OOM-killed after %s, then every %s\n",
		fargate.URL, ec2.URL, sim.DefaultSchedule.FirstOOM, sim.DefaultSchedule.Period)
	fmt.Fprintf(stderr, "demo: simulated ECS API at %s with cluster %s: catalog steady, frontend rolling out, checkout stuck on insufficient memory, payments rolled back by the circuit breaker, worker tasks OOM-killed\n",
		ecsAPI.URL, sim.ShopCluster)
	fmt.Fprintf(stderr, "demo: cluster %s deploys as today's ECS does: web (blue/green, 30m bake), search (linear), api (canary), orders (hook awaiting approval), legacy (CODE_DEPLOY canary), edge (EXTERNAL task set stuck stabilizing), cart (rolled back by an alarm at 8m), billing (rollback fails at 10m), feed (scaled in mid-deployment)\n",
		sim.DeployLabCluster)
	fmt.Fprintf(stderr, "demo: and cluster %s: images does not pull (crash loop), secrets misses a secret, elb is killed by ELB health checks, unhealthy deploys an unhealthy revision, orders cannot deploy on its full capacity provider, arm asks for arm64 on x86 instances, spot loses Fargate Spot tasks; steady is fine\n",
		sim.WhyCluster)
	sd.describe(stderr)
	fmt.Fprintf(stderr, "demo: simulated SQS queue %s receives the cluster's EventBridge events; simulated CloudWatch at %s serves Container Insights\n", queueURL, cwAPI.URL)
	if promConfig != "" {
		// The address serve will listen on, from the flags, the file and
		// the environment alike.
		cfg, err := loadConfig(f.base(base), f.configFile, f.overrides)
		if err != nil {
			fmt.Fprintf(stderr, "ecswatch: invalid configuration:\n%v\n", err)
			return 1
		}
		if err := writePrometheusConfig(promConfig, cfg.Web.ListenAddress, sd.targets != nil); err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "demo: wrote %s and the alert rules beside it; run: prometheus --config.file=%s, then open http://localhost:9090/alerts\n", promConfig, promConfig)
	}
	return serve(base, f, stderr, []daemon.Option{ec2Job, daemon.WithSimulatedAWS()})
}

// simOptions are the hidden simulate command's flags.
type simOptions struct {
	base, containers int
	latency          time.Duration
	large, tenTimes  bool
}

// simulate serves the simulators on fixed loopback ports until interrupted,
// so that a benchmark measures the daemon's process alone.
func simulate(o simOptions, stderr io.Writer) int {
	start := time.Now()
	fakeECS := sim.NewShopECS("eu-west-1", start)
	if o.large {
		fakeECS.AddCluster(sim.LargeCluster("large", 1000, 10, start))
	}
	if o.tenTimes {
		// Issue 22's scale: ten times the large cluster, spread as an
		// account spreads it, with deployments in progress and service
		// discovery finding every task.
		for i := range 20 {
			c, defs := sim.LargeDiscoveryCluster(fmt.Sprintf("large-%02d", i), 500, 10, start)
			sim.Deploying(c, 10, start)
			for _, td := range defs {
				fakeECS.RegisterTaskDefinition(td)
			}
			fakeECS.AddCluster(c)
		}
	}
	fakeSQS := sim.NewSQS()
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", o.base+i) }
	fakeSQS.CreateQueue("http://"+addr(3), "ecs-events", 30*time.Second)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go sim.Publish(ctx, fakeSQS, "ecs-events", start, time.Second, sim.ShopEvents("eu-west-1", start))
	handlers := []http.Handler{
		sim.NewTaskSim(sim.Fargate, nil).WithContainers(o.containers).WithLatency(o.latency).Handler(),
		fakeECS, sim.NewCloudWatch(nil), fakeSQS, sim.NewEC2API(fakeECS),
	}
	for i, h := range handlers {
		srv := &http.Server{Addr: addr(i), Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				fmt.Fprintf(stderr, "simulate: %v\n", err)
				stop()
			}
		}()
		defer srv.Close()
	}
	fmt.Fprintf(stderr, "simulate: metadata http://%s, ECS http://%s, CloudWatch http://%s, SQS http://%s (queue %s), EC2 http://%s\n",
		addr(0), addr(1), addr(2), addr(3), sim.QueueURL("http://"+addr(3), "ecs-events"), addr(4))
	<-ctx.Done()
	return 0
}

// demoFor is the longest `for` of the demo's copy of the alert rules, so
// that every alert the demo provokes fires within three minutes. The
// expressions are the shipped ones; only the waiting is shorter.
const demoFor = "1m"

var forLine = regexp.MustCompile(`(?m)^(\s+for:\s*)(\S+)\s*$`)

// writePrometheusConfig writes a Prometheus configuration that scrapes the
// demo at target every 5s and evaluates a copy of the shipped alert rules,
// written beside it as ecswatch-alerts.yml, with every `for` at most demoFor.
func writePrometheusConfig(path, target string, discovery bool) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", target, err)
	}
	limit, _ := model.ParseDuration(demoFor)
	rules := forLine.ReplaceAllFunc(deploy.AlertRules, func(line []byte) []byte {
		m := forLine.FindSubmatch(line)
		if d, err := model.ParseDuration(string(m[2])); err == nil && d > limit {
			return append(m[1], demoFor...)
		}
		return line
	})
	rules = append([]byte("# The demo's copy of deploy/prometheus/alerts.yml: every `for` shortened to at most "+demoFor+".\n"), rules...)
	cfg := fmt.Sprintf(`# Written by ecswatch demo. Prometheus scrapes the demo and evaluates its alerts.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - ecswatch-alerts.yml
scrape_configs:
  - job_name: ecswatch-demo
    static_configs:
      - targets: [%q]
`, net.JoinHostPort(reachableHost(host), port))
	if discovery {
		cfg += discoveryScrapeConfigs(net.JoinHostPort(reachableHost(host), port))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ecswatch-alerts.yml"), rules, 0o644); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(cfg), 0o644)
}
