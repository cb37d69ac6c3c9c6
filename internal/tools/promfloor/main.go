// Command promfloor is the floor under the sidecar's memory: a program that
// does nothing but serve client_golang's registry with the Go and process
// collectors through promhttp, at the sidecar build's GOGC and GOMAXPROCS.
// scripts/bench.sh measures it beside the sidecar, scraped the same way, so
// that the sidecar's figure shows how much of it is ecswatch's own:
//
//	promfloor [run] --web.listen-address 127.0.0.1:9787
//
// It takes the daemon's command line and ignores all but the address.
//
// GET /floor answers with a constant body the size of the sidecar's
// gzipped /metrics: the least a Go HTTP server can do per request, so that
// its latency under the bench's scrapers is the machine's own.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	debug.SetGCPercent(25)
	runtime.GOMAXPROCS(1)
	addr := ":9787"
	for i, a := range os.Args[1:] {
		if v, ok := strings.CutPrefix(a, "--web.listen-address="); ok {
			addr = v
		} else if a == "--web.listen-address" && i+2 < len(os.Args) {
			addr = os.Args[i+2]
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	floor := make([]byte, 6<<10)
	mux.HandleFunc("GET /floor", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(floor)
	})
	mux.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	err := http.ListenAndServe(addr, mux)
	slog.Error("promfloor", "err", err)
	os.Exit(1)
}
