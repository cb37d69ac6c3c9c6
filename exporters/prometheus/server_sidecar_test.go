//go:build sidecar

package prometheus

import (
	"net/http"
	"strings"
	"testing"
)

// TestSidecarBuildRefusesTLSItCannotServe: a web config file asks for TLS
// or basic auth, which the sidecar build does not have. Serving plain HTTP
// instead would expose what the operator meant to protect, so it refuses.
func TestSidecarBuildRefusesTLSItCannotServe(t *testing.T) {
	t.Parallel()
	cfg := ServerConfig{ListenAddresses: []string{"127.0.0.1:0"}, WebConfigFile: "web.yml"}
	srv := NewServer(http.NotFoundHandler(), cfg, discardLogger())
	ls, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ls[0].Close()
	if err := srv.Serve(ls); err == nil || !strings.Contains(err.Error(), "not in the sidecar build") {
		t.Errorf("Serve with a web config file = %v, want a refusal", err)
	}
}
