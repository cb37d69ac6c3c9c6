//go:build sidecar

package daemon

import (
	"testing"

	"github.com/ecswatch/ecswatch/internal/config"
)

// TestSidecarBuildRefusesWhatSidecarOnlyExcludes: the full image hands the
// sidecar role over to the sidecar build when config.SidecarOnly says a
// configuration asks only for what that build has, and the sidecar build
// refuses the rest. The two must agree: otherwise the handoff starts a
// daemon that refuses to run, or the full build keeps a role for nothing.
// (Run with -tags sidecar; .ci/run does.)
func TestSidecarBuildRefusesWhatSidecarOnlyExcludes(t *testing.T) {
	t.Parallel()
	on := true
	for _, tt := range []struct {
		name string
		set  func(*config.Config)
		env  map[string]string
	}{
		{name: "metadata endpoint, Prometheus and Datadog", set: func(c *config.Config) { c.Exporters.Datadog.Address = "127.0.0.1:8125" }},
		{name: "standalone", set: func(c *config.Config) { c.Standalone.Enabled = true }},
		{name: "Container Insights", set: func(c *config.Config) { c.Insights.Enabled = true }},
		{name: "events", set: func(c *config.Config) { c.Events.Enabled = true }},
		{name: "OTLP by configuration", set: func(c *config.Config) { c.Exporters.OTLP.Enabled = &on }},
		{name: "OTLP by the OpenTelemetry environment", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}},
		{name: "TLS from a web config file", set: func(c *config.Config) { c.Web.ConfigFile = "web.yml" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Default()
			if tt.set != nil {
				tt.set(cfg)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			_, awsErr := awsJobs(cfg, nil, nil, false, nil)
			_, otlpErr := otlpExporter(cfg, nil, nil, lookup)
			validErr := cfg.Validate()
			refused := awsErr != nil || otlpErr != nil || validErr != nil
			if only := cfg.SidecarOnly(lookup); refused == only {
				t.Errorf("SidecarOnly = %t, but the sidecar build refuses it: %t (%v, %v, %v)", only, refused, awsErr, otlpErr, validErr)
			}
		})
	}
}
