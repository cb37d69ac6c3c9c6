package prometheus

import (
	"bytes"
	"compress/gzip"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/ecswatch/ecswatch/collector"
)

// cachingHandler serves /metrics from a body encoded (and gzipped) once per
// snapshot, rather than once per scrape. The data only changes when a
// collector publishes; the Go runtime and process metrics beside it are
// refreshed at most every maxAge. Many scrapers then cost next to nothing,
// and a burst of them is served in microseconds each.
type cachingHandler struct {
	gatherer prometheus.Gatherer
	source   Source
	maxAge   time.Duration
	logger   *slog.Logger
	now      func() time.Time

	render sync.Mutex // one render at a time; the first scrape waits on it

	mu        sync.Mutex
	snap      *collector.Snapshot
	at        time.Time
	plain     []byte
	gz        []byte
	rendering bool
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

func newCachingHandler(g prometheus.Gatherer, source Source, maxAge time.Duration, logger *slog.Logger) *cachingHandler {
	return &cachingHandler{gatherer: g, source: source, maxAge: maxAge, logger: logger, now: time.Now}
}

func (h *cachingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	plain, gz := h.body()
	w.Header().Set("Content-Type", string(textFormat))
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gz)
		return
	}
	_, _ = w.Write(plain)
}

// body returns the encoded exposition. When a new snapshot was published or
// the body is older than maxAge, one scrape renders it again while the others
// are served the previous body: a scrape never waits for a render, but for
// the very first.
func (h *cachingHandler) body() (plain, gz []byte) {
	snap := h.source.Snapshot()
	h.mu.Lock()
	fresh := snap == h.snap && h.now().Sub(h.at) < h.maxAge
	if fresh || (h.rendering && h.plain != nil) {
		plain, gz = h.plain, h.gz
		h.mu.Unlock()
		return plain, gz
	}
	h.rendering = true
	h.mu.Unlock()

	h.render.Lock()
	defer h.render.Unlock()
	h.mu.Lock()
	if h.snap == snap && h.now().Sub(h.at) < h.maxAge {
		// Rendered by the scrape this one queued behind.
		plain, gz = h.plain, h.gz
		h.mu.Unlock()
		return plain, gz
	}
	h.mu.Unlock()
	plain, gz = h.encode()
	h.mu.Lock()
	h.snap, h.at, h.plain, h.gz, h.rendering = snap, h.now(), plain, gz, false
	h.mu.Unlock()
	return plain, gz
}

// encode gathers and encodes the registry, plain and gzipped.
func (h *cachingHandler) encode() (plain, gz []byte) {
	mfs, err := h.gatherer.Gather()
	if err != nil {
		// As promhttp's ContinueOnError: serve what was gathered.
		h.logger.Error("gathering metrics", "err", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, textFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.logger.Error("encoding metrics", "family", mf.GetName(), "err", err)
		}
	}
	var zbuf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zbuf, gzip.BestSpeed)
	_, _ = zw.Write(buf.Bytes())
	_ = zw.Close()
	return buf.Bytes(), zbuf.Bytes()
}
