package prometheus

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"golang.org/x/crypto/bcrypt"

	"github.com/ecswatch/ecswatch/internal/promtest"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestTLSAndBasicAuth serves /metrics with an exporter-toolkit web config
// and checks that it takes TLS and the right password, and only those.
func TestTLSAndBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := testutil.WriteCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash)), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: webConfig}
	h := fixtureHandler(t, cfg)
	srv := NewServer(h, cfg, discardLogger())
	ls, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ls) }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	addr := ls[0].Addr().String()

	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	do := func(scheme, user, pass string) int {
		req, _ := http.NewRequest("GET", scheme+"://"+addr+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name, scheme, user, pass string
		want                     int
	}{
		{"right password", "https", "prometheus", "s3cret", 200},
		{"wrong password", "https", "prometheus", "guess", 401},
		{"no password", "https", "", "", 401},
		{"plain HTTP", "http", "prometheus", "s3cret", 400},
	} {
		if got := do(tt.scheme, tt.user, tt.pass); got != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
		}
	}
}

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

// TestClientCertificatesShutOutAFlood: the mitigation README recommends for
// exposed endpoints. With client certificates required, clients without one
// are refused in the TLS handshake, before any handler or password check
// runs, so a flood of them leaves Prometheus's scrapes answered.
func TestClientCertificatesShutOutAFlood(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := testutil.WriteCert(t, dir)
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: %s\n", certFile, keyFile, certFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	var served atomic.Int64
	cfg := ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: webConfig}
	srv := NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { served.Add(1) }), cfg, discardLogger())
	ls, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ls) }()
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	url := "https://" + ls[0].Addr().String() + "/metrics"

	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	clientCert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	attacker := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	prometheus := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}}}}

	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 50 {
		wg.Go(func() {
			for range 10 {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.SetBasicAuth("prometheus", "guess")
				if resp, err := attacker.Do(req); err != nil {
					refused.Add(1)
				} else {
					resp.Body.Close()
				}
			}
		})
	}
	for range 20 {
		resp, err := prometheus.Get(url)
		if err != nil {
			t.Fatalf("scrape during the flood: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("scrape during the flood: HTTP %d", resp.StatusCode)
		}
	}
	wg.Wait()
	if refused.Load() != 500 || served.Load() != 20 {
		t.Errorf("%d of 500 attacker requests refused, %d requests reached the handler; want 500 and only the 20 scrapes", refused.Load(), served.Load())
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
