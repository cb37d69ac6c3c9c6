//go:build !sidecar

package prometheus

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TLS and basic auth, through exporter-toolkit: the full build's.

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
