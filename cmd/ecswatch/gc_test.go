package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestGarbageCollectorDefaults: the daemon runs at its build's GOGC (50 in
// the full build, 25 in the sidecar build) unless the operator sets GOGC,
// as its own go_gc_gogc_percent shows.
func TestGarbageCollectorDefaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  []string
		want int
	}{
		{"the build's default", nil, defaultGCPercent},
		{"GOGC set by the operator", []string{"GOGC=150"}, 150},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, set := os.LookupEnv("GOGC"); set && tt.env == nil {
				t.Skip("GOGC is set in the test's environment")
			}
			meta := httptest.NewServer(sim.NewTaskSim(sim.Fargate, nil).Handler())
			t.Cleanup(meta.Close)
			addr := testutil.FreeAddr(t, "127.0.0.1")
			p := startMain(t, append([]string{"ECS_CONTAINER_METADATA_URI_V4=" + meta.URL}, tt.env...),
				"run", "--web.listen-address="+addr, "--log.format=logfmt")
			body := p.firstScrape(t, addr)
			if want := fmt.Sprintf("\ngo_gc_gogc_percent %d\n", tt.want); !strings.Contains(string(body), want) {
				t.Errorf("/metrics has no %q", strings.TrimSpace(want))
			}
		})
	}
}
