package prometheus

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/ecswatch/ecswatch/internal/promtest"
)

// TestOnlyGETServesMetrics: /metrics answers GET and HEAD, and 405 to any
// other method; with telemetry_path "/", an unknown path is a 404 rather
// than metrics.
func TestOnlyGETServesMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, method, target string
		want                 int
	}{
		{"/metrics", http.MethodGet, "/metrics", 200},
		{"/metrics", http.MethodHead, "/metrics", 200},
		{"/metrics", http.MethodPost, "/metrics", 405},
		{"/metrics", http.MethodDelete, "/metrics", 405},
		{"/metrics", http.MethodPut, "/healthz", 405},
		{"/metrics", http.MethodGet, "/nothing", 404},
		{"/", http.MethodGet, "/", 200},
		{"/", http.MethodGet, "/anything", 404},
		{"/", http.MethodPost, "/", 405},
	} {
		t.Run(tc.path+" "+tc.method+" "+tc.target, func(t *testing.T) {
			t.Parallel()
			h := fixtureHandler(t, ServerConfig{TelemetryPath: tc.path})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.want {
				t.Errorf("%s %s = %d, want %d", tc.method, tc.target, rec.Code, tc.want)
			}
		})
	}
}

// TestScrapeNegotiatesFormat: /metrics answers the format the scraper asks
// for, as promhttp with OpenMetrics enabled does, from the same shared
// render: text by default, OpenMetrics for the Accept header Prometheus sends
// by default (internal/daemon TestRealPrometheus has a real Prometheus parse
// it; promtool's linter reads the text format only), and the delimited
// protobuf Prometheus can be told to ask for.
func TestScrapeNegotiatesFormat(t *testing.T) {
	t.Parallel()
	h := fixtureHandler(t, ServerConfig{})
	scrape := func(accept string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	text := scrape("")
	if ct := text.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("default Content-Type %q", ct)
	}
	promtest.CheckMetrics(t, text.Body.Bytes())
	// Prometheus 2.x's default scrape Accept header.
	om := scrape("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	if ct := om.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0") {
		t.Errorf("OpenMetrics Content-Type %q", ct)
	}
	if body := om.Body.String(); !strings.HasSuffix(body, "# EOF\n") || !strings.Contains(body, "ecs_container_cpu_usage_seconds_total{") {
		t.Errorf("OpenMetrics body does not end in # EOF or lacks samples:\n%.300s", body)
	}
	if !strings.Contains(om.Body.String(), "# TYPE ecs_container_cpu_usage_seconds counter\n") {
		t.Error("OpenMetrics body does not name counters without _total in TYPE")
	}
	proto := scrape("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
	if ct := proto.Header().Get("Content-Type"); !strings.Contains(ct, "application/vnd.google.protobuf") {
		t.Errorf("protobuf Content-Type %q", ct)
	}
	dec := expfmt.NewDecoder(bytes.NewReader(proto.Body.Bytes()), expfmt.NewFormat(expfmt.TypeProtoDelim))
	n := 0
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			break
		}
		n++
	}
	if n < 20 {
		t.Errorf("decoded %d families from the protobuf scrape", n)
	}
}

// TestLandingPageLinksWork: every link on the landing page answers 200; no
// profiling links to handlers that are not served.
func TestLandingPageLinksWork(t *testing.T) {
	t.Parallel()
	h := fixtureHandler(t, ServerConfig{})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	page := get("/")
	links := regexp.MustCompile(`href="(/[^"]*)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if page.Code != 200 || len(links) < 3 {
		t.Fatalf("landing page: HTTP %d, %d links", page.Code, len(links))
	}
	for _, l := range links {
		if code := get(l[1]).Code; code != 200 {
			t.Errorf("link %s answers %d", l[1], code)
		}
	}
}

// fixtureHandler is NewHandler over the fixture snapshot, as the daemon
// builds it.
func fixtureHandler(t testing.TB, cfg ServerConfig) http.Handler {
	t.Helper()
	src := staticSource{fixture()}
	reg, err := NewRegistry(true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(reg, New(src, Options{IdentityLabels: true}), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return h
}
