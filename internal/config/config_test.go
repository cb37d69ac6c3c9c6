package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestExampleIsDefault: config.example.yaml documents every key with its
// default, so parsing it must give exactly Default().
func TestExampleIsDefault(t *testing.T) {
	t.Parallel()
	data := testutil.ReadFile(t, "../../config.example.yaml")
	cfg, err := Parse(data, "config.example.yaml")
	if err != nil {
		t.Fatalf("example does not parse: %v", err)
	}
	cfg.origins = nil
	want := Default()
	want.origins = nil
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("example differs from defaults:\n got %+v\nwant %+v", cfg, want)
	}
	for _, key := range Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(string(data), leaf+":") {
			t.Errorf("config.example.yaml does not document %s", key)
		}
	}
}

// TestInvalid maps each bad file to the exact error it must produce: the key,
// the line and what was wrong.
func TestInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "web:\n  listen_addres: :1\n", "c.yaml: unmarshal errors:\n  line 2: web.listen_addres: field listen_addres not found in type config.Web"},
		{"unknown section", "sidecars:\n  interval: 1s\n", "line 1: sidecars: field sidecars not found in type config.Config"},
		{"bad duration", "sidecar:\n  interval: 5 seconds\n", `c.yaml: line 2: sidecar.interval: invalid duration "5 seconds" (want e.g. 500ms, 15s, 1m)`},
		{"wrong type", "exporters:\n  prometheus:\n    identity_labels: maybe\n", "line 3: exporters.prometheus.identity_labels: cannot unmarshal !!str `maybe` into bool"},
		{"mapping for duration", "sidecar:\n  timeout:\n    a: 1\n", "line 3: sidecar.timeout: want a duration such as 15s, got a mapping"},
		{"timeout above interval", "sidecar:\n  interval: 5s\n  timeout: 10s\n", "sidecar.timeout (c.yaml line 3): must be positive and at most sidecar.interval (5s), got 10s"},
		{"zero interval", "sidecar:\n  interval: 0s\n", "sidecar.interval (c.yaml line 2): must be positive, got 0s"},
		{"log level", "log:\n  level: loud\n", `log.level (c.yaml line 2): want debug, info, warn or error, got "loud"`},
		{"log format", "log:\n  format: xml\n", `log.format (c.yaml line 2): want logfmt or json, got "xml"`},
		{"listen address", "web:\n  listen_address: localhost\n", `web.listen_address (c.yaml line 2): want host:port, got "localhost"`},
		{"telemetry path", "web:\n  telemetry_path: metrics\n", `web.telemetry_path (c.yaml line 2): must start with / and hold no spaces or braces, got "metrics"`},
		{"telemetry path taken by health", "web:\n  telemetry_path: /healthz\n", "web.telemetry_path (c.yaml line 2): /healthz is served beside the metrics; choose another path"},
		{"endpoint without host", "sidecar:\n  endpoint: \"http://\"\n", `sidecar.endpoint (c.yaml line 2): want an http:// or https:// URL with a host, got "http://"`},
		{"queue without path", "events:\n  enabled: true\n  queue_url: \"https://\"\n", `events.queue_url (c.yaml line 3): want the queue's URL`},
		{"busy long poll", "events:\n  wait_time: 0s\n", "events.wait_time (c.yaml line 2): must be between 1s and 20s"},
		{"missing web config", "web:\n  config_file: /nonexistent/web.yml\n", "web.config_file (c.yaml line 2): "},
		{"endpoint scheme", "sidecar:\n  endpoint: 169.254.170.2/v4\n", `sidecar.endpoint (c.yaml line 2): want an http:// or https:// URL with a host, got "169.254.170.2/v4"`},
		{"linger past the shutdown budget", "shutdown_linger: 10s\n", "shutdown_linger (c.yaml line 1): must not be negative and must leave part of shutdown_timeout (10s) for the final push, got 10s"},
		{"shutdown too long", "shutdown_timeout: 45s\n", "shutdown_timeout (c.yaml line 1): must be positive and below ECS's default stopTimeout of 30s, got 45s"},
		{"syntax", "web: [\n", "c.yaml: yaml: line 1: did not find expected node content"},
		{"call timeout above timeout", "standalone:\n  timeout: 5s\n  call_timeout: 6s\n", "standalone.call_timeout (c.yaml line 3): must be positive and at most standalone.timeout (5s), got 6s"},
		{"identity with standalone", "standalone:\n  enabled: true\nexporters:\n  prometheus:\n    identity_labels: false\n", "exporters.prometheus.identity_labels (c.yaml line 5): must be true when standalone, events or insights is enabled"},
		{"datadog naming", "exporters:\n  datadog:\n    naming: dogstatsd\n", `exporters.datadog.naming (c.yaml line 3): want ecswatch or agent (the Datadog Agent checks' names), got "dogstatsd"`},
		{"datadog tag cardinality", "exporters:\n  datadog:\n    tag_cardinality: medium\n", `exporters.datadog.tag_cardinality (c.yaml line 3): want low, orchestrator or high (empty reads DD_CHECKS_TAG_CARDINALITY), got "medium"`},
		{"otlp naming", "exporters:\n  otlp:\n    naming: cloudwatch\n", `exporters.otlp.naming (c.yaml line 3): want semconv or adot (the awsecscontainermetrics receiver's names), got "cloudwatch"`},
		{"events without queue", "events:\n  enabled: true\n", `events.queue_url (default): want the queue's URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events, got ""`},
		{"long poll too long", "events:\n  wait_time: 30s\n", "events.wait_time (c.yaml line 2): must be between 1s and 20s (SQS's long-poll limit; 0s would poll an empty queue in a busy loop), got 30s"},
		{"insights period", "insights:\n  period: 90s\n", "insights.period (c.yaml line 2): must be a whole number of minutes, got 1m30s"},
		{"attempts", "standalone:\n  max_attempts: 0\n", "standalone.max_attempts (c.yaml line 2): must be between 1 and 20, got 0"},
		{"clusters not a list", "standalone:\n  clusters: shop\n", "line 2: standalone.clusters: cannot unmarshal !!str `shop` into []string"},
		{"stuck after", "standalone:\n  health:\n    stuck_after: 0s\n", "standalone.health.stuck_after (c.yaml line 3): must be positive, got 0s"},
		{"discovery without standalone", "standalone:\n  service_discovery:\n    enabled: true\n", "standalone.service_discovery.enabled (c.yaml line 3): needs standalone.enabled: the targets come from the standalone collector's reads"},
		{"discovery path taken by metrics", "standalone:\n  service_discovery:\n    path: /metrics\n", "standalone.service_discovery.path (c.yaml line 3): /metrics is already served (metrics, health or the landing page); choose another path"},
		{"discovery path relative", "standalone:\n  service_discovery:\n    path: sd\n", `standalone.service_discovery.path (c.yaml line 3): must start with / and hold no spaces, braces, ? or #, got "sd"`},
		{"discovery file extension", "standalone:\n  service_discovery:\n    file: /tmp/ecs.txt\n", `standalone.service_discovery.file (c.yaml line 3): want a .json, .yml or .yaml file (Prometheus's file_sd reads only those), got "/tmp/ecs.txt"`},
		{"discovery file directory", "standalone:\n  service_discovery:\n    file: /nonexistent/ecs.json\n", `standalone.service_discovery.file (c.yaml line 3): the directory of "/nonexistent/ecs.json" must exist`},
		{"discovery sidecar port", "standalone:\n  service_discovery:\n    sidecar:\n      port: 0\n", "standalone.service_discovery.sidecar.port (c.yaml line 4): must be between 1 and 65535, got 0"},
		{"discovery empty image pattern", "standalone:\n  service_discovery:\n    sidecar:\n      images: [\"\"]\n", "standalone.service_discovery.sidecar.images (c.yaml line 4): holds an empty image pattern, which would match every container"},
		{"discovery EC2 endpoint", "standalone:\n  service_discovery:\n    ec2_endpoint: ec2.local\n", `standalone.service_discovery.ec2_endpoint (c.yaml line 3): want an http:// or https:// URL with a host, got "ec2.local"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.yaml), "c.yaml")
			if err == nil {
				t.Fatalf("accepted:\n%s", tt.yaml)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tt.want)
			}
		})
	}
}

// TestPrecedence: defaults < file < environment < flags.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := dir + "/c.yaml"
	if err := os.WriteFile(path, []byte("sidecar:\n  interval: 30s\n  timeout: 2s\nlog:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(nil, path, env(map[string]string{
		"ECSWATCH_SIDECAR_INTERVAL":                     "1m",
		"ECSWATCH_LOG_LEVEL":                            "warn",
		"ECSWATCH_EXPORTERS_PROMETHEUS_IDENTITY_LABELS": "false",
		"ECSWATCH_SIDECAR_ENABLED":                      "true",
		"ECSWATCH_STANDALONE_CLUSTERS":                  "shop-prod, billing",
	}), Override{Key: "log.level", Value: "error", Origin: "flag --log.level"})
	if err != nil {
		t.Fatal(err)
	}
	if got := time.Duration(cfg.Sidecar.Interval); got != time.Minute {
		t.Errorf("interval = %s, want env's 1m", got)
	}
	if got := time.Duration(cfg.Sidecar.Timeout); got != 2*time.Second {
		t.Errorf("timeout = %s, want file's 2s", got)
	}
	if cfg.Log.Level != "error" {
		t.Errorf("log.level = %s, want flag's error", cfg.Log.Level)
	}
	if cfg.Exporters.Prometheus.IdentityLabels || cfg.Sidecar.Enabled == nil || !*cfg.Sidecar.Enabled {
		t.Errorf("env bools not applied: %+v", cfg)
	}
	if len(cfg.Standalone.Clusters) != 2 || cfg.Standalone.Clusters[1] != "billing" {
		t.Errorf("clusters = %q, want the comma-separated list", cfg.Standalone.Clusters)
	}
	if cfg.Web.ListenAddress != DefaultListenAddress {
		t.Errorf("listen address = %s, want default", cfg.Web.ListenAddress)
	}
}

// TestDefaultsFollowIntervals: shortening an interval alone brings the
// default timeouts down with it; a timeout that was set is never changed.
func TestDefaultsFollowIntervals(t *testing.T) {
	t.Parallel()
	cfg, err := Load(nil, "", env(map[string]string{"ECSWATCH_SIDECAR_INTERVAL": "1s", "ECSWATCH_STANDALONE_INTERVAL": "2s"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Sidecar.Timeout != Duration(time.Second) || cfg.Standalone.Timeout != Duration(2*time.Second) || cfg.Standalone.CallTimeout != Duration(2*time.Second) {
		t.Errorf("timeouts %s %s %s", cfg.Sidecar.Timeout, cfg.Standalone.Timeout, cfg.Standalone.CallTimeout)
	}
	if _, err := Load(nil, "", env(map[string]string{"ECSWATCH_SIDECAR_INTERVAL": "1s", "ECSWATCH_SIDECAR_TIMEOUT": "3s"})); err == nil {
		t.Error("an explicit timeout above the interval was accepted")
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	_, err := Load(nil, "", env(map[string]string{"ECSWATCH_SIDECAR_TIMEOUT": "soon"}))
	if err == nil || err.Error() != `ECSWATCH_SIDECAR_TIMEOUT: sidecar.timeout: invalid duration "soon" (want e.g. 500ms, 15s, 1m)` {
		t.Errorf("err = %v", err)
	}
	_, err = Load(nil, "", env(map[string]string{"ECSWATCH_LOG_FORMAT": "xml"}))
	if err == nil || !strings.Contains(err.Error(), "log.format (ECSWATCH_LOG_FORMAT)") {
		t.Errorf("err = %v", err)
	}
}

func TestSidecarEnabled(t *testing.T) {
	t.Parallel()
	cfg := Default()
	if cfg.SidecarEnabled(env(nil)) {
		t.Error("enabled without the metadata variable")
	}
	if !cfg.SidecarEnabled(env(map[string]string{"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"})) {
		t.Error("disabled with the metadata variable set")
	}
	off := false
	cfg.Sidecar.Enabled = &off
	if cfg.SidecarEnabled(env(map[string]string{"ECS_CONTAINER_METADATA_URI_V4": "x"})) {
		t.Error("explicit false ignored")
	}
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile("../../config.example.yaml")
	f.Add(data)
	f.Add([]byte("sidecar:\n  interval: 1s\n  timeout: 1s\n"))
	f.Add([]byte("web: [\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(b, "fuzz.yaml")
		if err == nil && cfg.Validate() != nil {
			t.Fatal("Parse accepted a config that does not validate")
		}
	})
}

// TestEnvironmentThatCannotWork: check-config and run refuse, with the
// variable's name, what the environment says that can never work.
func TestEnvironmentThatCannotWork(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"misspelled variable", map[string]string{"ECSWATCH_SIDECAR_INTERVALL": "5s"}, "ECSWATCH_SIDECAR_INTERVALL: names no configuration key"},
		{"empty agent host", map[string]string{"DD_AGENT_HOST": ""}, "DD_AGENT_HOST: set but empty"},
		{"console metrics exporter", map[string]string{"OTEL_METRICS_EXPORTER": "console"}, `OTEL_METRICS_EXPORTER: ecswatch sends otlp or none, got "console" (Prometheus scrapes /metrics)`},
		{"unknown tag cardinality", map[string]string{"DD_CHECKS_TAG_CARDINALITY": "medium"}, `DD_CHECKS_TAG_CARDINALITY: want low, orchestrator or high, got "medium"`},
		{"unknown OTLP protocol", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}, `OTEL_EXPORTER_OTLP_PROTOCOL: want grpc or http/protobuf, got "carrier-pigeon"`},
		{"metadata endpoint not a URL", map[string]string{"ECS_CONTAINER_METADATA_URI_V4": "notaurl"}, `ECS_CONTAINER_METADATA_URI_V4: want the metadata endpoint's URL, got "notaurl"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var environ []string
			for k, v := range tt.env {
				environ = append(environ, k+"="+v)
			}
			lookup := env(tt.env)
			cfg, err := Load(nil, "", lookup)
			if err == nil {
				err = cfg.CheckEnvironment(environ, lookup)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	ok := map[string]string{"ECSWATCH_CONFIG_FILE": "c.yaml", "ECSWATCH_SIDECAR_INTERVAL": "5s", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	cfg, err := Load(nil, "", env(ok))
	if err == nil {
		err = cfg.CheckEnvironment([]string{"ECSWATCH_CONFIG_FILE=c.yaml", "ECSWATCH_SIDECAR_INTERVAL=5s", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, env(ok))
	}
	if err != nil {
		t.Errorf("a valid environment refused: %v", err)
	}
}

// TestOneBooleanSyntax: every boolean variable reads as strconv.ParseBool
// does, and nothing else.
func TestOneBooleanSyntax(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]bool{"1": true, "true": true, "TRUE": true, "0": false, "false": false} {
		cfg, err := Load(nil, "", env(map[string]string{"ECSWATCH_SIDECAR_ENABLED": value, "ECSWATCH_EVENTS_ENABLED": "0"}))
		if err != nil || cfg.Sidecar.Enabled == nil || *cfg.Sidecar.Enabled != want {
			t.Errorf("ECSWATCH_SIDECAR_ENABLED=%s: %v %v, want %v", value, cfg, err, want)
		}
	}
	for _, value := range []string{"yes", "no", "on", ""} {
		if _, err := Load(nil, "", env(map[string]string{"ECSWATCH_SIDECAR_ENABLED": value})); err == nil || !strings.Contains(err.Error(), "want true or false") {
			t.Errorf("ECSWATCH_SIDECAR_ENABLED=%q: err = %v, want a refusal", value, err)
		}
	}
}

// TestSidecarOnly: what the full build hands to the sidecar build, and
// what it must keep.
func TestSidecarOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"metadata endpoint, Prometheus and Datadog", map[string]string{"ECSWATCH_EXPORTERS_DATADOG_ENABLED": "true"}, true},
		{"standalone", map[string]string{"ECSWATCH_STANDALONE_ENABLED": "true", "ECSWATCH_STANDALONE_CLUSTERS": "prod"}, false},
		{"events", map[string]string{"ECSWATCH_EVENTS_ENABLED": "true", "ECSWATCH_EVENTS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/q"}, false},
		{"OTLP through the OpenTelemetry variables", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(nil, "", env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.SidecarOnly(env(tt.env)); got != tt.want {
				t.Errorf("SidecarOnly = %v, want %v", got, tt.want)
			}
		})
	}
	// Set, not loaded: SidecarOnly reads the key, and no file need exist.
	tls := Default()
	tls.Web.ConfigFile = "web.yml"
	if tls.SidecarOnly(env(nil)) {
		t.Error("SidecarOnly with a web config file: the sidecar build serves plain HTTP only")
	}
}
