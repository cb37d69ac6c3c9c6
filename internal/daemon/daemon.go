// Package daemon wires configuration, collectors, the Store and exporters
// into one running ecswatch, and shuts it down in order.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/taskmeta"
	"github.com/ecswatch/ecswatch/exporters/datadog"
	"github.com/ecswatch/ecswatch/exporters/prometheus"
	"github.com/ecswatch/ecswatch/internal/config"
)

// Daemon is one ecswatch process.
type Daemon struct {
	pushers   []pusher
	cfg       *config.Config
	logger    *slog.Logger
	store     *collector.Store
	scheduler *collector.Scheduler
	server    *prometheus.Server
	served    *prometheus.Served
	listeners []net.Listener
	health    *healthServer
}

// pusher is an exporter that pushes on its own schedule.
type pusher interface {
	Run(ctx context.Context)
	Shutdown(ctx context.Context) error
}

// Option adds to what New builds from the configuration.
type Option func(*options)

type options struct {
	jobs      []func(*collector.Store, *slog.Logger) collector.Job
	lookup    func(string) (string, bool)
	simulated bool
}

// WithSimulatedAWS makes the AWS clients use fixed fake credentials, for an
// endpoint override that points at the simulator: real credentials must
// never be sent there, and the demo must work on a machine with none.
func WithSimulatedAWS() Option {
	return func(o *options) { o.simulated = true }
}

// WithJob adds a collector built against the daemon's Store; the demo uses it
// to watch more simulated tasks than the configuration names.
func WithJob(build func(*collector.Store, *slog.Logger) collector.Job) Option {
	return func(o *options) { o.jobs = append(o.jobs, build) }
}

// WithEnv replaces os.LookupEnv, for tests.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.lookup = lookup }
}

// New builds a Daemon and opens its listeners, so that a port in use fails
// here rather than after collection has started.
func New(cfg *config.Config, logger *slog.Logger, opts ...Option) (*Daemon, error) {
	o := options{lookup: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	store := collector.NewStore(nil)
	var jobs []collector.Job
	if cfg.SidecarEnabled(o.lookup) {
		endpoint := cfg.Sidecar.Endpoint
		if endpoint == "" {
			endpoint, _ = o.lookup(taskmeta.EnvEndpoint)
		}
		if endpoint == "" {
			return nil, fmt.Errorf("sidecar: enabled but neither sidecar.endpoint nor $%s is set", taskmeta.EnvEndpoint)
		}
		client := taskmeta.NewClient(endpoint, time.Duration(cfg.Sidecar.Timeout))
		jobs = append(jobs, collector.Job{
			Collector:  taskmeta.New(taskmeta.Name, client, store, logger),
			Interval:   time.Duration(cfg.Sidecar.Interval),
			Timeout:    time.Duration(cfg.Sidecar.Timeout),
			StaleAfter: time.Duration(cfg.Sidecar.StaleAfter),
		})
		logger.Info("sidecar collector enabled", "endpoint", endpoint, "interval", cfg.Sidecar.Interval)
	}
	var routes []route
	awsJobs, err := awsJobs(cfg, store, logger, o.simulated, func(pattern string, h http.Handler) { routes = append(routes, route{pattern, h}) })
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, awsJobs...)
	for _, build := range o.jobs {
		jobs = append(jobs, build(store, logger))
	}
	if len(jobs) == 0 {
		logger.Warn("no collector enabled: set " + taskmeta.EnvEndpoint + " or sidecar.endpoint, standalone.enabled or events.enabled; serving ecswatch's own metrics only")
	}
	scheduler := collector.NewScheduler(store, logger, jobs...)

	var pushers []pusher
	if cfg.DatadogEnabled(o.lookup) {
		dd := cfg.Exporters.Datadog
		exp, err := datadog.New(store, store.Subscribe(datadog.Name, 1024), logger, datadog.Options{
			Address: dd.Address, Namespace: dd.Namespace, Tags: dd.Tags, PushInterval: time.Duration(dd.PushInterval),
			Naming: dd.Naming, TagCardinality: dd.TagCardinality,
		})
		if err != nil {
			return nil, err
		}
		pushers = append(pushers, exp)
		logger.Info("datadog exporter enabled", "address", dd.Address, "push_interval", dd.PushInterval)
	}
	otlpPusher, err := otlpExporter(cfg, store, logger, o.lookup)
	if err != nil {
		return nil, err
	}
	if otlpPusher != nil {
		pushers = append(pushers, otlpPusher)
	}

	exp := prometheus.New(store, prometheus.Options{IdentityLabels: cfg.Exporters.Prometheus.IdentityLabels})
	reg, err := prometheus.NewRegistry(!cfg.Exporters.Prometheus.DisableExporterMetrics)
	if err != nil {
		return nil, err
	}
	srvCfg := prometheus.ServerConfig{
		ListenAddresses:        cfg.Web.ListenAddresses(),
		SystemdSocket:          cfg.Web.SystemdSocket,
		WebConfigFile:          cfg.Web.ConfigFile,
		TelemetryPath:          cfg.Web.TelemetryPath,
		Ready:                  scheduler.Ready,
		Served:                 prometheus.NewServed(func(t time.Time) { store.Exported(prometheus.Name, t) }),
		DisableExporterMetrics: cfg.Exporters.Prometheus.DisableExporterMetrics,
	}
	handler, err := prometheus.NewHandler(reg, exp, srvCfg, logger)
	if err != nil {
		return nil, err
	}
	handler = withRoutes(handler, routes)
	server := prometheus.NewServer(handler, srvCfg, logger)
	listeners, err := server.Listen()
	if err != nil {
		return nil, err
	}
	return &Daemon{cfg: cfg, logger: logger, store: store, scheduler: scheduler, server: server, served: srvCfg.Served, listeners: listeners, pushers: pushers,
		health: startHealthServer(listeners[0].Addr().String(), logger)}, nil
}

// Addrs are the addresses the daemon serves on, resolved (useful with :0).
func (d *Daemon) Addrs() []net.Addr {
	addrs := make([]net.Addr, len(d.listeners))
	for i, l := range d.listeners {
		addrs[i] = l.Addr()
	}
	return addrs
}

// Store is the daemon's Store.
func (d *Daemon) Store() *collector.Store { return d.store }

// Run collects, serves and pushes until ctx is cancelled, then shuts down
// within shutdown_timeout: one last collection (so that a sidecar records the
// exit code of the container whose end is stopping the task; the events
// consumer takes nothing new), then, if /metrics is being scraped, serving
// until a scrape has seen that collection (at most shutdown_linger), a last
// push of every push exporter, the deletion of the queue messages whose
// effect was delivered, and the HTTP server drains.
func (d *Daemon) Run(ctx context.Context) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.server.Serve(d.listeners) }()

	runCtx, stopCollectors := context.WithCancel(ctx)
	collectorsDone := make(chan struct{})
	go func() {
		defer close(collectorsDone)
		d.scheduler.Run(runCtx)
	}()
	go trimMemory(runCtx, d.store, d.served, d.logger)
	var pushersDone sync.WaitGroup
	for _, p := range d.pushers {
		pushersDone.Go(func() { p.Run(runCtx) })
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if err != nil {
			err = fmt.Errorf("serve: %w", err)
		}
	}
	stopCollectors()
	<-collectorsDone
	pushersDone.Wait()

	budget := time.Duration(d.cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	d.logger.Info("shutting down", "budget", budget)
	d.scheduler.RunOnce(shutdownCtx)
	d.linger(shutdownCtx)
	for _, p := range d.pushers {
		if perr := p.Shutdown(shutdownCtx); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	// Only now is it known what left the process: the queue keeps the rest.
	if ferr := d.scheduler.Flush(shutdownCtx); ferr != nil {
		d.logger.Warn("flush after the final export", "err", ferr)
	}
	d.health.shutdown(shutdownCtx)
	if serr := d.server.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("shutdown: %w", serr))
	}
	d.logger.Info("stopped")
	return err
}

// linger waits, at most shutdown_linger, for a scrape to see the final
// collection. A scraper polling every second sees it within about two
// scrapes: the first may get the body rendered before it.
func (d *Daemon) linger(ctx context.Context) {
	if d.cfg.ShutdownLinger <= 0 || !d.served.Scraped() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d.cfg.ShutdownLinger))
	defer cancel()
	final := d.store.Snapshot()
	if d.served.Wait(ctx, final) {
		d.logger.Info("final collection scraped")
	} else {
		d.logger.Warn("no scrape saw the final collection within shutdown_linger", "shutdown_linger", d.cfg.ShutdownLinger)
	}
}
