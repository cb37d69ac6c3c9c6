//go:build !sidecar

package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TLS through exporter-toolkit's web config: the full build's.

// TestHealthcheckUnderMTLSAndAnyAddress: the healthcheck of the shipped
// task definitions finds a healthy daemon whose web endpoint requires client
// certificates and listens on an address other than 127.0.0.1.
func TestHealthcheckUnderMTLSAndAnyAddress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := testutil.WriteCert(t, dir, "127.0.0.2", "::1")
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: %s\n", cert, key, cert)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.2", "::1"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			addr := testutil.FreeAddr(t, host)
			ts := sim.NewTaskSim(sim.Fargate, nil)
			meta := httptest.NewServer(ts.Handler())
			t.Cleanup(meta.Close)
			p := startMain(t, []string{"ECS_CONTAINER_METADATA_URI_V4=" + meta.URL},
				"run", "--web.listen-address="+addr, "--web.config.file="+webConfig, "--log.format=logfmt")
			p.wait(t, `msg="collector up"`)
			if code, _, stderr := runCLI("healthcheck", "--web.listen-address="+addr, "--web.config.file="+webConfig); code != 0 {
				t.Errorf("healthcheck of a healthy daemon = %d: %s", code, stderr)
			}
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
			if code, _, _ := runCLI("healthcheck", "--web.listen-address="+addr, "--web.config.file="+webConfig); code != 1 {
				t.Errorf("healthcheck of a stopped daemon = %d, want 1", code)
			}
		})
	}
}
