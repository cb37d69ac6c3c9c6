package prometheus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ServerConfig configures the HTTP endpoint.
type ServerConfig struct {
	// ListenAddresses to serve on, e.g. ":9787".
	ListenAddresses []string
	// SystemdSocket serves on systemd's socket-activation listeners instead
	// of ListenAddresses (Linux).
	SystemdSocket bool
	// WebConfigFile is an exporter-toolkit web configuration (TLS, basic
	// auth); empty serves plain HTTP without auth.
	WebConfigFile string
	// TelemetryPath is where metrics are served; /metrics by default.
	TelemetryPath string
	// Ready reports whether the daemon has data to serve, for /readyz.
	Ready func() bool
	// Served, when set, records what scrapes were served.
	Served *Served
	// DisableExporterMetrics leaves out promhttp's own scrape counters
	// (NewRegistry leaves out the runtime and process metrics).
	DisableExporterMetrics bool
}

// NewRegistry returns a registry of ecswatch's own metrics:
// ecswatch_build_info and, with exporterMetrics, the Go runtime and process
// collectors every Prometheus exporter offers. /metrics serves it beside the
// Exporter's families.
func NewRegistry(exporterMetrics bool) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	cs := []prometheus.Collector{versioncollector.NewCollector("ecswatch")}
	if exporterMetrics {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register collector: %w", err)
		}
	}
	return reg, nil
}

// description is the landing page's line under the name.
const description = "ECS task, container and deployment metrics"

// selfMetricsRefresh is how old ecswatch's own Go and process metrics may
// be in a scrape; the collected data is always the latest snapshot.
const selfMetricsRefresh = 10 * time.Second

// NewHandler returns the HTTP handler for /metrics, /healthz, /readyz and a
// landing page at /. /metrics is encoded once per published snapshot, and
// every 10 seconds for ecswatch's own Go and process metrics, while it is
// scraped; scrapes share it (see cachingHandler). It holds e's families and
// reg's.
func NewHandler(reg *prometheus.Registry, e *Exporter, cfg ServerConfig, logger *slog.Logger) (http.Handler, error) {
	path := cfg.TelemetryPath
	if path == "" {
		path = "/metrics"
	}
	mux := http.NewServeMux()
	ch := newCachingHandler(reg, e, selfMetricsRefresh, logger, cfg.Served)
	var metrics http.Handler = ch
	if !cfg.DisableExporterMetrics {
		metrics = promhttp.InstrumentMetricHandler(reg, metrics)
	}
	// GET (and so HEAD) only: the mux answers other methods 405. At "/",
	// only "/" itself: an unknown path is a 404, not metrics.
	pattern := path
	if pattern == "/" {
		pattern = "/{$}"
	}
	mux.Handle("GET "+pattern, metrics)
	mux.HandleFunc("GET /healthz", Healthz)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if cfg.Ready != nil && !cfg.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: no collector has succeeded yet\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if path != "/" {
		landing, err := landingPage([]link{
			{path, "Metrics"},
			{"/healthz", "Health"},
			{"/readyz", "Readiness"},
		})
		if err != nil {
			return nil, fmt.Errorf("landing page: %w", err)
		}
		mux.Handle("GET /{$}", landing)
	}
	return mux, nil
}

// Server is the running HTTP endpoint.
type Server struct {
	srv    *http.Server
	cfg    ServerConfig
	logger *slog.Logger
}

// NewServer wraps handler in an http.Server with conservative timeouts.
func NewServer(handler http.Handler, cfg ServerConfig, logger *slog.Logger) *Server {
	return &Server{
		srv: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		cfg:    cfg,
		logger: logger,
	}
}

// Serve serves on listeners (one per listen address) until Shutdown, with
// the web config file's TLS and basic auth where the build has them.
func (s *Server) Serve(listeners []net.Listener) error {
	err := s.serve(listeners)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Listen opens one listener per configured address, or takes systemd's
// socket-activation listeners.
func (s *Server) Listen() ([]net.Listener, error) {
	if s.cfg.SystemdSocket {
		ls, err := activation.Listeners()
		if err != nil {
			return nil, fmt.Errorf("systemd socket activation: %w", err)
		}
		if len(ls) == 0 {
			return nil, errors.New("systemd socket activation: no listeners passed (--web.systemd-socket needs a socket unit)")
		}
		return ls, nil
	}
	var ls []net.Listener
	for _, addr := range s.cfg.ListenAddresses {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// Shutdown stops accepting scrapes and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// Healthz answers a liveness probe: the process serves HTTP. The health
// socket answers with it too.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// link is one of the landing page's links.
type link struct{ address, text string }
