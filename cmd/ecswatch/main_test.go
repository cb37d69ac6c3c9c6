package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/version"
)

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sidecar:\n  interval: 5 seconds\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "ecswatch, version", ""},
		{"check good", []string{"check-config", "../../config.example.yaml"}, 0, "config.example.yaml: OK", ""},
		{"check bad", []string{"check-config", bad}, 1, "", `line 2: sidecar.interval: invalid duration "5 seconds"`},
		{"check missing", []string{"check-config", filepath.Join(dir, "nope.yaml")}, 1, "", "no such file"},
		{"unknown flag", []string{"--web.listen", ":1"}, 2, "", "unknown long flag"},
		{"bad flag value", []string{"run", "--log.level", "loud"}, 2, "", `unrecognized log level loud`},
		{"bad telemetry path", []string{"run", "--web.telemetry-path", "/healthz"}, 1, "", `web.telemetry_path (flag --web.telemetry-path): /healthz is served beside the metrics`},
		{"bad memory limit ratio", []string{"--auto-gomemlimit.ratio", "1.5", "run"}, 2, "", "--auto-gomemlimit.ratio 1.5: must be more than 0 and at most 1"},
		{"help command", []string{"help"}, 0, "usage: ecswatch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("run %v = %d\nstdout: %s\nstderr: %s\nwant %d, %q, %q", tt.args, code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		tls     bool
		code    int
	}{
		{"ok", func(w http.ResponseWriter, _ *http.Request) {}, false, 0},
		{"ok over TLS", func(w http.ResponseWriter, _ *http.Request) {}, true, 0},
		{"behind basic auth", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) }, false, 0},
		{"failing", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tt.handler)
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			if code, _, stderr := runCLI("healthcheck", "--web.listen-address", srv.Listener.Addr().String()); code != tt.code {
				t.Errorf("healthcheck = %d (%s), want %d", code, stderr, tt.code)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	if code, _, _ := runCLI("healthcheck", "--web.listen-address", addr); code != 1 {
		t.Errorf("healthcheck against nothing = %d, want 1", code)
	}
}

// TestVersionWithoutLdflags: a binary built without the Dockerfile's
// -ldflags still reports a version, from Go's build info.
func TestVersionWithoutLdflags(t *testing.T) {
	before := version.Version
	defer func() { version.Version = before }()
	version.Version = ""
	versionFromBuildInfo()
	if version.Version == "" {
		t.Error("no version from the build info")
	}
}
