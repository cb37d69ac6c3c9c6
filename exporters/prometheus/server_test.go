package prometheus

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ecswatch test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestTLSAndBasicAuth serves /metrics with an exporter-toolkit web config
// and checks that it takes TLS and the right password, and only those.
func TestTLSAndBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash)), 0o600); err != nil {
		t.Fatal(err)
	}

	reg, err := NewRegistry(New(staticSource{fixture()}, Options{IdentityLabels: true}))
	if err != nil {
		t.Fatal(err)
	}
	cfg := ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: webConfig}
	h, err := NewHandler(reg, staticSource{fixture()}, cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
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
			src := staticSource{fixture()}
			reg, err := NewRegistry(New(src, Options{IdentityLabels: true}))
			if err != nil {
				t.Fatal(err)
			}
			h, err := NewHandler(reg, src, ServerConfig{TelemetryPath: tc.path}, discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.want {
				t.Errorf("%s %s = %d, want %d", tc.method, tc.target, rec.Code, tc.want)
			}
		})
	}
}
