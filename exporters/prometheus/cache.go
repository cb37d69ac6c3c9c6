package prometheus

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/ecswatch/ecswatch/collector"
)

// cachingHandler serves /metrics from a body encoded (and gzipped) once and
// shared by every scrape, rather than encoded per scrape. The data only
// changes when a collector publishes a snapshot, and the Go runtime and
// process metrics beside it need not be fresher than refresh, so a scrape
// at any cadence costs a copy of bytes.
//
// While /metrics is scraped, a watcher renders each snapshot the source
// publishes (when it can tell, as a Store does) and re-renders every
// refresh for the self-metrics; it stops after idle without a scrape. A
// scrape serves the newest body; a snapshot replaced without notice is
// rendered in the background. Only a scrape that finds no body, or one
// older than stale (no watcher kept it fresh: the first scrape, or the first
// after an idle spell), waits for a render.
type cachingHandler struct {
	// gatherer holds ecswatch's own metrics (Go runtime, process, build
	// info); exporter encodes the snapshot's families beside them.
	gatherer prometheus.Gatherer
	exporter *Exporter
	refresh  time.Duration
	logger   *slog.Logger
	now      func() time.Time
	served   *Served // may be nil
	// asked is the format the last scrape negotiated (an expfmt.Format):
	// what a render encodes ahead, so that scrapes only copy bytes.
	asked atomic.Value

	// plainAsked: a scraper has asked for an uncompressed body, so renders
	// encode one too. Prometheus always asks for gzip; at a large
	// cluster's size the plain body is twenty times the gzipped one.
	plainAsked atomic.Bool

	lastScrape atomic.Int64 // unix nanoseconds
	watching   atomic.Bool
	// The last render's cost and end (unix nanoseconds), for renderShare.
	renderCost, renderEnd atomic.Int64

	mu        sync.Mutex
	cur       *body
	rendering chan struct{} // non-nil while a render runs; closed when it ends

	// The encoder's buffers, reused: a render and a scrape asking for a
	// format not yet encoded may encode at once.
	encMu   sync.Mutex
	zw      *gzip.Writer
	sizeFor [2]int // the largest plain and gzipped encodings, to allocate the next ones once
}

// publisher is a Source that tells when it publishes a snapshot.
type publisher interface {
	Published() <-chan struct{}
}

// renderShare bounds the time spent rendering to 1/renderShare: after a
// render that took d, the next waits (renderShare-1)·d. A sidecar's render
// takes a couple of milliseconds and never waits; at ten times the
// standalone scale one takes about a second, and twenty clusters each
// publishing their cycle would otherwise render back to back. The body is
// then at most that much older than the latest snapshot.
const renderShare = 10

// pause is how long to wait before the next render.
func (h *cachingHandler) pause() time.Duration {
	next := time.Unix(0, h.renderEnd.Load()).Add(time.Duration(h.renderCost.Load()) * (renderShare - 1))
	return next.Sub(h.now())
}

// idle is how long the watcher outlives the last scrape: longer than any
// scrape interval in use, so that a scraped daemon renders ahead of its
// scrapes and an unscraped one renders nothing.
const idle = 5 * time.Minute

// body is one snapshot and one gathering of the self-metrics, encoded in
// each format scrapes ask for: the last scrape's format at once, others when
// a scrape first asks, then shared like it.
//
// A body holds its snapshot weakly. Scrapes in flight hold the bodies they
// write, and at 10x each snapshot pinned that way was 5 MB of counters, and
// the Container Insights samples it shared, 16 MB more, once they were
// replaced. A format first asked for once the snapshot has gone is encoded
// from the newest one.
type body struct {
	snap      weak.Pointer[collector.Snapshot]
	published time.Time // the snapshot's Time
	at        time.Time // when gathering began

	self []*dto.MetricFamily

	mu  sync.Mutex
	enc map[expfmt.Format]*encoding
}

// encoding is a body in one format, gzipped and, once asked for, plain.
type encoding struct {
	plain, gz []byte
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// acceptedFormats are what /metrics can answer, as promhttp with OpenMetrics
// enabled: OpenMetrics, protobuf and the text format.
var acceptedFormats = expfmt.DefaultOpenMetricsAcceptedFormats()

func newCachingHandler(g prometheus.Gatherer, e *Exporter, refresh time.Duration, logger *slog.Logger, served *Served) *cachingHandler {
	return &cachingHandler{gatherer: g, exporter: e, refresh: refresh, logger: logger, now: time.Now, served: served}
}

func (h *cachingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := h.body()
	if b == nil {
		http.Error(w, "metrics could not be rendered, see the daemon's log", http.StatusInternalServerError)
		return
	}
	// As promhttp negotiates with EnableOpenMetrics: the text format unless
	// the scraper asks for OpenMetrics or protobuf.
	format := textFormat
	if r.Header.Get("Accept") != "" {
		format = expfmt.NegotiateAccept(r.Header, acceptedFormats...)
	}
	if h.format() != format {
		h.asked.Store(format) // boxing allocates: only when it changes
	}
	gz := strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	if !gz && !h.plainAsked.Load() {
		h.plainAsked.Store(true)
	}
	w.Header().Set("Content-Type", string(format))
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
	}
	_, err := w.Write(h.encoded(b, nil, format, gz))
	if err == nil && h.served != nil {
		h.served.record(b.published)
	}
}

// stale is the age past which no watcher kept a body fresh. A watcher
// renders at least every refresh plus its pause (renderShare): a body
// older than three refreshes and a whole share of renders was not kept.
func (h *cachingHandler) stale() time.Duration {
	return 3*h.refresh + renderShare*time.Duration(h.renderCost.Load())
}

// body returns the body to serve: the newest one, rendering a replaced
// snapshot in the background, or, when there is none a watcher kept fresh,
// one rendered in this scrape.
func (h *cachingHandler) body() *body {
	now := h.now()
	h.lastScrape.Store(now.UnixNano())
	if h.watching.CompareAndSwap(false, true) {
		go h.watch()
	}
	snap := h.exporter.source.Snapshot()
	h.mu.Lock()
	b := h.cur
	if b != nil && now.Sub(b.at) < h.stale() {
		if b.snap != weak.Make(snap) && h.rendering == nil && h.pause() <= 0 {
			done := make(chan struct{})
			h.rendering = done
			go h.renderInBackground(done)
		}
		h.mu.Unlock()
		return b
	}
	done := h.rendering
	if done != nil {
		// Another scrape is rendering; its body is as fresh as this one's would be.
		h.mu.Unlock()
		<-done
	} else {
		done = make(chan struct{})
		h.rendering = done
		h.mu.Unlock()
		h.render(done)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur
}

// watch renders each published snapshot, and after refresh without one,
// until idle passes without a scrape.
func (h *cachingHandler) watch() {
	defer h.watching.Store(false)
	var published func() <-chan struct{}
	if p, ok := h.exporter.source.(publisher); ok {
		published = p.Published
	}
	// next is nil (never ready) for a source that cannot tell. It is taken
	// before each render, so that a snapshot published during one is not
	// missed.
	var next <-chan struct{}
	if published != nil {
		next = published()
	}
	// The self-metrics timer restarts at every render: a daemon publishing
	// more often than refresh renders once per snapshot, not twice.
	timer := time.NewTimer(h.refresh)
	defer timer.Stop()
	for {
		select {
		case <-next:
		case <-timer.C:
		}
		if p := h.pause(); p > 0 {
			// Snapshots published meanwhile are rendered together, next.
			time.Sleep(p)
		}
		timer.Reset(h.refresh)
		if published != nil {
			next = published()
		}
		if h.now().Sub(time.Unix(0, h.lastScrape.Load())) > idle {
			return
		}
		h.mu.Lock()
		if h.rendering != nil {
			h.mu.Unlock()
			continue
		}
		done := make(chan struct{})
		h.rendering = done
		h.mu.Unlock()
		h.renderInBackground(done)
	}
}

func (h *cachingHandler) renderInBackground(done chan struct{}) {
	defer func() {
		// As net/http does for a scrape that renders: log, keep serving.
		if r := recover(); r != nil {
			h.logger.Error("rendering metrics panicked", "panic", r)
		}
	}()
	h.render(done)
}

// render gathers a new body, encodes it in the format scrapers ask for, and
// ends the render that done stands for, even if encoding panics.
func (h *cachingHandler) render(done chan struct{}) {
	var fresh *body // set only once encoding has finished
	began := time.Now()
	defer func() {
		h.renderCost.Store(int64(time.Since(began)))
		h.renderEnd.Store(h.now().UnixNano())
		h.mu.Lock()
		if fresh != nil {
			h.cur = fresh
		}
		h.rendering = nil
		h.mu.Unlock()
		close(done)
	}()
	snap := h.exporter.source.Snapshot()
	b := &body{snap: weak.Make(snap), published: snap.Time, at: h.now(), enc: map[expfmt.Format]*encoding{}}
	self, err := h.gatherer.Gather()
	if err != nil {
		// As promhttp's ContinueOnError: serve what was gathered.
		h.logger.Error("gathering metrics", "err", err)
	}
	b.self = self
	h.encoded(b, snap, h.format(), true)
	if h.plainAsked.Load() {
		h.encoded(b, snap, h.format(), false)
	}
	fresh = b
}

// format is the format scrapers ask for: the last one negotiated, the text
// format before any scrape. Prometheus sends Accept, and what it gets back
// names an escaping scheme, so it is never the bare text format.
func (h *cachingHandler) format() expfmt.Format {
	if f, ok := h.asked.Load().(expfmt.Format); ok {
		return f
	}
	return textFormat
}

// encoded returns b in format, gzipped or plain, encoding it on first use
// from snap, or when snap is nil from b's snapshot, or the newest where that
// has gone.
func (h *cachingHandler) encoded(b *body, snap *collector.Snapshot, format expfmt.Format, gzipped bool) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.enc[format]
	if e == nil {
		e = &encoding{}
		b.enc[format] = e
	}
	dst := &e.plain
	if gzipped {
		dst = &e.gz
	}
	if *dst == nil {
		if snap == nil {
			snap = b.snap.Value()
		}
		if snap == nil {
			snap = h.exporter.source.Snapshot()
		}
		*dst = h.encode(snap, b.self, format, gzipped)
	}
	return *dst
}

// encode encodes snap and self in format, gzipped or plain. Gzipped, the
// encoder writes straight into the compressor: no plain copy is held.
func (h *cachingHandler) encode(snap *collector.Snapshot, self []*dto.MetricFamily, format expfmt.Format, gzipped bool) []byte {
	h.encMu.Lock()
	defer h.encMu.Unlock()
	kind := 0
	if gzipped {
		kind = 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, h.sizeFor[kind]+h.sizeFor[kind]/8))
	var w io.Writer = buf
	if gzipped {
		if h.zw == nil {
			h.zw, _ = gzip.NewWriterLevel(buf, gzip.BestSpeed)
		} else {
			h.zw.Reset(buf)
		}
		w = h.zw
	}
	if err := h.exporter.Encode(snap, self, w, format); err != nil {
		// As promhttp's ContinueOnError: serve the rest.
		h.logger.Error("encoding metrics", "format", format, "err", err)
	}
	if gzipped {
		_ = h.zw.Close()
	}
	h.sizeFor[kind] = max(h.sizeFor[kind], buf.Len())
	return buf.Bytes()
}
