package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/ecswatch/ecswatch/exporters/prometheus"
)

// HealthSocket is the abstract Unix socket on which the daemon listening on
// port answers the healthcheck subcommand. An abstract socket needs no file
// (the image's root filesystem is read-only) and lives in the network
// namespace, which `healthcheck` shares with the daemon inside the same
// container; it speaks plain HTTP whatever TLS and client-certificate
// settings the web endpoint has, and whatever address it listens on.
func HealthSocket(port string) string { return "@ecswatch-health-" + port }

// healthServer serves /healthz on HealthSocket, Linux only (abstract sockets
// are Linux's); elsewhere healthcheck probes the web endpoint itself.
type healthServer struct {
	srv *http.Server
}

func startHealthServer(listenAddress string, logger *slog.Logger) *healthServer {
	if runtime.GOOS != "linux" {
		return nil
	}
	_, port, err := net.SplitHostPort(listenAddress)
	if err != nil {
		return nil
	}
	l, err := net.Listen("unix", HealthSocket(port))
	if err != nil {
		// Another ecswatch in this network namespace on the same port:
		// healthcheck falls back to the web endpoint.
		logger.Warn("health socket unavailable; healthcheck will probe the web endpoint", "socket", HealthSocket(port), "err", err)
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", prometheus.Healthz)
	h := &healthServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() {
		if err := h.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("health socket stopped", "err", err)
		}
	}()
	return h
}

func (h *healthServer) shutdown(ctx context.Context) {
	if h != nil {
		_ = h.srv.Shutdown(ctx)
	}
}
