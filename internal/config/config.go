// Package config loads ecswatch's configuration: defaults, then a strict YAML
// file, then ECSWATCH_* environment variables, then command-line flags, each
// overriding the one before. Every error names the key and where its value
// came from (a line of the file, a variable or a flag).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable that overrides a key: the key
// path upper-cased with dots as underscores, e.g. ECSWATCH_SIDECAR_INTERVAL.
const EnvPrefix = "ECSWATCH_"

// Config is the whole configuration. config.example.yaml documents every key.
type Config struct {
	Web        Web        `yaml:"web"`
	Log        Log        `yaml:"log"`
	Sidecar    Sidecar    `yaml:"sidecar"`
	Standalone Standalone `yaml:"standalone"`
	Events     Events     `yaml:"events"`
	Insights   Insights   `yaml:"insights"`
	Exporters  Exporters  `yaml:"exporters"`
	// ShutdownTimeout bounds the last collection and flush on SIGTERM; it
	// must stay below the container's stopTimeout (ECS default 30s).
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// ShutdownLinger is how long, within ShutdownTimeout, /metrics keeps
	// being served after the last collection until a scrape has seen it.
	ShutdownLinger Duration `yaml:"shutdown_linger"`

	origins map[string]string
}

// Web is the HTTP endpoint.
type Web struct {
	ListenAddress string `yaml:"listen_address"`
	// ExtraListenAddresses come from a repeated --web.listen-address, as
	// exporter-toolkit's flags allow; the first value is ListenAddress.
	ExtraListenAddresses []string `yaml:"-"`
	// SystemdSocket serves on systemd's socket-activation listeners
	// (--web.systemd-socket) instead of the listen addresses.
	SystemdSocket bool `yaml:"-"`
	// ConfigFile is an exporter-toolkit web config (TLS, basic auth).
	ConfigFile    string `yaml:"config_file"`
	TelemetryPath string `yaml:"telemetry_path"`
}

// ListenAddresses are every address to listen on, ListenAddress first.
func (w Web) ListenAddresses() []string {
	return append([]string{w.ListenAddress}, w.ExtraListenAddresses...)
}

// Log is logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Sidecar is the task metadata endpoint collector.
type Sidecar struct {
	// Enabled: unset means on exactly when ECS_CONTAINER_METADATA_URI_V4 is
	// set, which is how ECS tells a container it runs in a task.
	Enabled *bool `yaml:"enabled"`
	// Endpoint overrides $ECS_CONTAINER_METADATA_URI_V4.
	Endpoint   string   `yaml:"endpoint"`
	Interval   Duration `yaml:"interval"`
	Timeout    Duration `yaml:"timeout"`
	StaleAfter Duration `yaml:"stale_after"`
}

// Standalone is the ECS API collector for whole clusters.
type Standalone struct {
	Enabled bool `yaml:"enabled"`
	// Clusters to watch (names or ARNs); empty watches every cluster of
	// the account and region.
	Clusters []string `yaml:"clusters"`
	// Region; empty uses the default chain (AWS_REGION, profile, IMDS).
	Region string `yaml:"region"`
	// Endpoint overrides the ECS endpoint (tests, simulators, VPC endpoints).
	Endpoint    string   `yaml:"endpoint"`
	Interval    Duration `yaml:"interval"`
	Timeout     Duration `yaml:"timeout"`
	CallTimeout Duration `yaml:"call_timeout"`
	MaxAttempts int      `yaml:"max_attempts"`
	StaleAfter  Duration `yaml:"stale_after"`
	Health      Health   `yaml:"health"`

	// ServiceDiscovery serves the clusters' scrape targets to Prometheus.
	ServiceDiscovery ServiceDiscovery `yaml:"service_discovery"`
}

// Health holds the thresholds of the deployment health rules.
type Health struct {
	StuckAfter     Duration `yaml:"stuck_after"`
	ProgressWindow Duration `yaml:"progress_window"`
}

// Events is the consumer of ECS events that EventBridge delivers to SQS.
type Events struct {
	Enabled           bool     `yaml:"enabled"`
	QueueURL          string   `yaml:"queue_url"`
	Region            string   `yaml:"region"`
	Endpoint          string   `yaml:"endpoint"`
	WaitTime          Duration `yaml:"wait_time"`
	VisibilityTimeout Duration `yaml:"visibility_timeout"`
	MaxMessages       int      `yaml:"max_messages"`
}

// Insights is the Container Insights collector (CloudWatch GetMetricData).
type Insights struct {
	Enabled bool `yaml:"enabled"`
	// Clusters beyond those of the standalone collector's services.
	Clusters    []string `yaml:"clusters"`
	Region      string   `yaml:"region"`
	Endpoint    string   `yaml:"endpoint"`
	Interval    Duration `yaml:"interval"`
	Period      Duration `yaml:"period"`
	Delay       Duration `yaml:"delay"`
	Lookback    Duration `yaml:"lookback"`
	StaleAfter  Duration `yaml:"stale_after"`
	Enhanced    bool     `yaml:"enhanced"`
	CallTimeout Duration `yaml:"call_timeout"`
}

// Exporters configures the backends.
type Exporters struct {
	Prometheus Prometheus `yaml:"prometheus"`
	Datadog    Datadog    `yaml:"datadog"`
	OTLP       OTLP       `yaml:"otlp"`
}

// OTLP is the OpenTelemetry exporter. Empty values leave the choice to the
// standard OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* variables.
type OTLP struct {
	// Enabled: unset means on exactly when OTEL_EXPORTER_OTLP_ENDPOINT or
	// its metrics or logs variant is set.
	Enabled     *bool             `yaml:"enabled"`
	Endpoint    string            `yaml:"endpoint"`
	Protocol    string            `yaml:"protocol"`
	Insecure    bool              `yaml:"insecure"`
	Headers     map[string]string `yaml:"headers"`
	Compression string            `yaml:"compression"`
	Temporality string            `yaml:"temporality"`
	Interval    Duration          `yaml:"interval"`
	Timeout     Duration          `yaml:"timeout"`
	// Naming is semconv (the semantic conventions' names and per-container
	// resources) or adot (the awsecscontainermetrics receiver's names,
	// units and resource attributes, for ADOT pipelines).
	Naming string `yaml:"naming"`
}

// Datadog is the DogStatsD exporter.
type Datadog struct {
	// Enabled: unset means on exactly when DD_DOGSTATSD_URL or
	// DD_AGENT_HOST is set, as for every Datadog library.
	Enabled *bool `yaml:"enabled"`
	// Address: host:port or unix:///path; empty lets the client read
	// DD_DOGSTATSD_URL, DD_AGENT_HOST and DD_DOGSTATSD_PORT.
	Address      string   `yaml:"address"`
	Namespace    string   `yaml:"namespace"`
	Tags         []string `yaml:"tags"`
	PushInterval Duration `yaml:"push_interval"`
	// Naming is ecswatch (every metric under the namespace) or agent (the
	// Datadog Agent's ecs_fargate and container checks' names and tags).
	Naming string `yaml:"naming"`
	// TagCardinality is low, orchestrator or high (agent naming); empty
	// reads DD_CHECKS_TAG_CARDINALITY, else low.
	TagCardinality string `yaml:"tag_cardinality"`
}

// Prometheus is the /metrics exporter.
type Prometheus struct {
	IdentityLabels bool `yaml:"identity_labels"`
	// DisableExporterMetrics leaves out the Go runtime, process and
	// promhttp metrics, as ecs_exporter's --web.disable-exporter-metrics.
	DisableExporterMetrics bool `yaml:"disable_exporter_metrics"`
}

// DefaultListenAddress is ecswatch's port. 9779 belongs to
// prometheus-community/ecs_exporter, whose users may run both side by side.
const DefaultListenAddress = ":9787"

// Default returns the configuration used where nothing else is said.
func Default() *Config {
	return &Config{
		Web: Web{ListenAddress: DefaultListenAddress, TelemetryPath: "/metrics"},
		Log: Log{Level: "info", Format: "json"},
		Sidecar: Sidecar{
			Interval:   Duration(15 * time.Second),
			Timeout:    Duration(5 * time.Second),
			StaleAfter: Duration(5 * time.Minute),
		},
		Standalone: Standalone{
			Clusters:    []string{},
			Interval:    Duration(time.Minute),
			Timeout:     Duration(50 * time.Second),
			CallTimeout: Duration(10 * time.Second),
			MaxAttempts: 5,
			StaleAfter:  Duration(10 * time.Minute),
			Health:      Health{StuckAfter: Duration(30 * time.Minute), ProgressWindow: Duration(10 * time.Minute)},

			ServiceDiscovery: defaultServiceDiscovery(),
		},
		Events: Events{WaitTime: Duration(20 * time.Second), MaxMessages: 10},
		Insights: Insights{
			Clusters: []string{}, Interval: Duration(time.Minute), Period: Duration(time.Minute),
			Delay: Duration(2 * time.Minute), Lookback: Duration(10 * time.Minute), StaleAfter: Duration(15 * time.Minute),
			CallTimeout: Duration(20 * time.Second),
		},
		Exporters: Exporters{
			Prometheus: Prometheus{IdentityLabels: true},
			Datadog:    Datadog{Namespace: "ecswatch.", Tags: []string{}, PushInterval: Duration(10 * time.Second), Naming: "ecswatch"},
			OTLP:       OTLP{Headers: map[string]string{}, Naming: "semconv"},
		},
		ShutdownTimeout: Duration(10 * time.Second),
		ShutdownLinger:  Duration(5 * time.Second),
		origins:         map[string]string{},
	}
}

// Override is one value set from outside the file, e.g. by a flag.
type Override struct {
	Key    string // dotted YAML path, e.g. web.listen_address
	Value  string
	Origin string // e.g. "flag --web.listen-address"
}

// Load builds the configuration from base (Default() when nil), the YAML
// file at path (none when empty), the environment (lookup, usually
// os.LookupEnv) and overrides, in that order, and validates the result.
func Load(base *Config, path string, lookup func(string) (string, bool), overrides ...Override) (*Config, error) {
	cfg := base
	if cfg == nil {
		cfg = Default()
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := cfg.parse(data, path); err != nil {
			return nil, err
		}
	}
	if err := cfg.applyEnv(lookup); err != nil {
		return nil, err
	}
	for _, o := range overrides {
		if err := cfg.Set(o.Key, o.Value, o.Origin); err != nil {
			return nil, err
		}
	}
	cfg.fitDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Parse reads YAML into the defaults and validates it, without looking at the
// environment: what check-config and the fuzzer use.
func Parse(data []byte, name string) (*Config, error) {
	cfg := Default()
	if err := cfg.parse(data, name); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var lineRE = regexp.MustCompile(`line (\d+): `)

func (c *Config) parse(data []byte, name string) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	lines := keyLines(&root)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		// yaml reports errors by line only; say which key it was.
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(lines.annotate(err.Error()), "yaml: "))
	}
	for key, line := range lines {
		c.origins[key] = fmt.Sprintf("%s line %d", name, line.keyLine)
	}
	return nil
}

// lineIndex records, for every dotted key path in a YAML document, where
// its key and its value are.
type lineIndex map[string]keyPos

type keyPos struct {
	keyLine, valueLine int
	collection         bool // the value is a mapping or a sequence
}

func keyLines(root *yaml.Node) lineIndex {
	idx := lineIndex{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				key := k.Value
				if prefix != "" {
					key = prefix + "." + key
				}
				idx[key] = keyPos{keyLine: k.Line, valueLine: v.Line, collection: v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode}
				walk(v, key)
			}
		}
	}
	walk(root, "")
	return idx
}

// annotate adds the key path to each "line N: " of a yaml error message.
// yaml reports an unknown field at its key's line, and a bad value at the
// line where the value starts; the message says whether that value is a
// mapping or sequence, which tells a key from the keys nested in its value.
func (idx lineIndex) annotate(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		m := lineRE.FindStringSubmatchIndex(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(l[m[2]:m[3]])
		rest := l[m[1]:]
		unknown := strings.Contains(rest, "not found in type")
		collection := strings.Contains(rest, "!!map") || strings.Contains(rest, "!!seq") ||
			strings.Contains(rest, "got a mapping") || strings.Contains(rest, "got a sequence")
		best := ""
		for k, p := range idx {
			match := p.keyLine == n
			if !unknown {
				match = p.valueLine == n && p.collection == collection
			}
			if match && (best == "" || strings.Count(k, ".") > strings.Count(best, ".")) {
				best = k
			}
		}
		if best != "" {
			lines[i] = l[:m[1]] + best + ": " + rest
		}
	}
	return strings.Join(lines, "\n")
}

// Keys lists every settable key, in declaration order.
func Keys() []string {
	var keys []string
	walkFields(reflect.ValueOf(Default()).Elem(), "", func(key string, _ reflect.Value) { keys = append(keys, key) })
	return keys
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		return nil
	}
	for _, key := range Keys() {
		if v, ok := lookup(EnvName(key)); ok {
			if err := c.Set(key, v, EnvName(key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Set sets one key from its string form, parsed exactly as the YAML value
// would be.
func (c *Config) Set(key, value, origin string) error {
	var target reflect.Value
	walkFields(reflect.ValueOf(c).Elem(), "", func(k string, v reflect.Value) {
		if k == key {
			target = v
		}
	})
	if !target.IsValid() {
		return fmt.Errorf("%s: unknown key %q", origin, key)
	}
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if t := target.Type(); t.Kind() == reflect.Bool || (t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool) {
		// One syntax for every boolean variable and flag: Go's, as
		// strconv.ParseBool reads it (1, t, true, 0, f, false, ...).
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%s: %s: want true or false (or 1 or 0), got %q", origin, key, value)
		}
		node.Value, node.Tag = strconv.FormatBool(b), "!!bool"
	}
	if target.Kind() == reflect.Slice {
		// Lists come from variables and flags as comma-separated values.
		node = &yaml.Node{Kind: yaml.SequenceNode}
		for _, v := range strings.Split(value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: v})
			}
		}
	}
	if err := node.Decode(target.Addr().Interface()); err != nil {
		return fmt.Errorf("%s: %s: %s", origin, key, strings.TrimPrefix(lineRE.ReplaceAllString(err.Error(), ""), "yaml: "))
	}
	c.origins[key] = origin
	return nil
}

// walkFields calls fn for every leaf field of a struct value, with its dotted
// YAML key.
func walkFields(v reflect.Value, prefix string, fn func(key string, field reflect.Value)) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + key
		}
		if f.Type.Kind() == reflect.Struct {
			walkFields(v.Field(i), key, fn)
			continue
		}
		fn(key, v.Field(i))
	}
}

// fitDefaults keeps defaults that nobody set consistent with values that
// were set: a sidecar.interval of 1s brings the default 5s timeout down to
// 1s rather than failing validation.
func (c *Config) fitDefaults() {
	if c.origin("sidecar.timeout") == "default" && c.Sidecar.Timeout > c.Sidecar.Interval {
		c.Sidecar.Timeout = c.Sidecar.Interval
	}
	if c.origin("shutdown_linger") == "default" && c.ShutdownLinger > c.ShutdownTimeout/2 {
		c.ShutdownLinger = c.ShutdownTimeout / 2
	}
	st := &c.Standalone
	if c.origin("standalone.timeout") == "default" && st.Timeout > st.Interval {
		st.Timeout = st.Interval
	}
	if c.origin("standalone.call_timeout") == "default" && st.CallTimeout > st.Timeout {
		st.CallTimeout = st.Timeout
	}
}

// Validate checks values that parse but make no sense.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, key, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s (%s): %s", key, c.origin(key), fmt.Sprintf(format, args...)))
		}
	}
	for _, addr := range c.Web.ListenAddresses() {
		_, _, err := net.SplitHostPort(addr)
		check(err == nil, "web.listen_address", "want host:port, got %q", addr)
	}
	check(strings.HasPrefix(c.Web.TelemetryPath, "/") && !strings.ContainsAny(c.Web.TelemetryPath, " \t{}"), "web.telemetry_path", "must start with / and hold no spaces or braces, got %q", c.Web.TelemetryPath)
	check(!slices.Contains(reservedPaths, c.Web.TelemetryPath), "web.telemetry_path", "%s is served beside the metrics; choose another path", c.Web.TelemetryPath)
	if c.Web.ConfigFile != "" {
		err := validateWebConfig(c.Web.ConfigFile)
		check(err == nil, "web.config_file", "%v", err)
	}
	check(slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level), "log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	check(slices.Contains([]string{"logfmt", "json"}, c.Log.Format), "log.format", "want logfmt or json, got %q", c.Log.Format)
	check(c.Sidecar.Interval > 0, "sidecar.interval", "must be positive, got %s", c.Sidecar.Interval)
	check(c.Sidecar.Timeout > 0 && c.Sidecar.Timeout <= c.Sidecar.Interval, "sidecar.timeout", "must be positive and at most sidecar.interval (%s), got %s", c.Sidecar.Interval, c.Sidecar.Timeout)
	check(c.Sidecar.StaleAfter >= 0, "sidecar.stale_after", "must not be negative, got %s", c.Sidecar.StaleAfter)
	if c.Sidecar.Endpoint != "" {
		check(httpURL(c.Sidecar.Endpoint), "sidecar.endpoint", "want an http:// or https:// URL with a host, got %q", c.Sidecar.Endpoint)
	}
	st := c.Standalone
	check(st.Interval > 0, "standalone.interval", "must be positive, got %s", st.Interval)
	check(st.Timeout > 0 && st.Timeout <= st.Interval, "standalone.timeout", "must be positive and at most standalone.interval (%s), got %s", st.Interval, st.Timeout)
	check(st.CallTimeout > 0 && st.CallTimeout <= st.Timeout, "standalone.call_timeout", "must be positive and at most standalone.timeout (%s), got %s", st.Timeout, st.CallTimeout)
	check(st.MaxAttempts >= 1 && st.MaxAttempts <= 20, "standalone.max_attempts", "must be between 1 and 20, got %d", st.MaxAttempts)
	check(st.StaleAfter >= 0, "standalone.stale_after", "must not be negative, got %s", st.StaleAfter)
	check(st.Health.StuckAfter > 0, "standalone.health.stuck_after", "must be positive, got %s", st.Health.StuckAfter)
	check(st.Health.ProgressWindow > 0, "standalone.health.progress_window", "must be positive, got %s", st.Health.ProgressWindow)
	if st.Endpoint != "" {
		check(httpURL(st.Endpoint), "standalone.endpoint", "want an http:// or https:// URL with a host, got %q", st.Endpoint)
	}
	for _, cl := range st.Clusters {
		check(cl != "" && !strings.ContainsAny(cl, " \t"), "standalone.clusters", "invalid cluster name %q", cl)
	}
	c.validateServiceDiscovery(check)
	ev := c.Events
	if ev.Enabled {
		check(httpURL(ev.QueueURL) && strings.Trim(mustPath(ev.QueueURL), "/") != "", "events.queue_url", "want the queue's URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-events, got %q", ev.QueueURL)
	}
	// 0s would turn the long poll into a busy loop: about 85 billed
	// ReceiveMessage calls a second on an empty queue.
	check(ev.WaitTime >= Duration(time.Second) && time.Duration(ev.WaitTime) <= 20*time.Second, "events.wait_time", "must be between 1s and 20s (SQS's long-poll limit; 0s would poll an empty queue in a busy loop), got %s", ev.WaitTime)
	check(ev.VisibilityTimeout >= 0 && time.Duration(ev.VisibilityTimeout) <= 12*time.Hour, "events.visibility_timeout", "must be between 0s and 12h, got %s", ev.VisibilityTimeout)
	check(ev.MaxMessages >= 1 && ev.MaxMessages <= 10, "events.max_messages", "must be between 1 and 10, got %d", ev.MaxMessages)
	if ev.Endpoint != "" {
		check(httpURL(ev.Endpoint), "events.endpoint", "want an http:// or https:// URL with a host, got %q", ev.Endpoint)
	}
	in := c.Insights
	check(in.Interval > 0, "insights.interval", "must be positive, got %s", in.Interval)
	check(in.Period >= Duration(time.Minute) && time.Duration(in.Period)%time.Minute == 0, "insights.period", "must be a whole number of minutes, got %s", in.Period)
	check(in.Delay >= 0, "insights.delay", "must not be negative, got %s", in.Delay)
	check(in.Lookback >= in.Period, "insights.lookback", "must be at least insights.period (%s), got %s", in.Period, in.Lookback)
	check(in.StaleAfter > 0, "insights.stale_after", "must be positive, got %s", in.StaleAfter)
	check(in.CallTimeout > 0, "insights.call_timeout", "must be positive, got %s", in.CallTimeout)
	check(!in.Enabled || st.Enabled || len(in.Clusters) > 0, "insights.enabled", "needs standalone.enabled (for its services) or insights.clusters")
	ot := c.Exporters.OTLP
	check(slices.Contains([]string{"", "grpc", "http/protobuf"}, ot.Protocol), "exporters.otlp.protocol", "want grpc or http/protobuf, got %q", ot.Protocol)
	check(slices.Contains([]string{"", "gzip", "none"}, ot.Compression), "exporters.otlp.compression", "want gzip or none, got %q", ot.Compression)
	check(slices.Contains([]string{"", "cumulative", "delta"}, ot.Temporality), "exporters.otlp.temporality", "want cumulative or delta, got %q", ot.Temporality)
	check(ot.Interval >= 0 && ot.Timeout >= 0, "exporters.otlp.interval", "interval and timeout must not be negative")
	if ot.Endpoint != "" {
		check(httpURL(ot.Endpoint), "exporters.otlp.endpoint", "want an http:// or https:// URL with a host, got %q", ot.Endpoint)
	}
	check(slices.Contains([]string{"semconv", "adot"}, ot.Naming), "exporters.otlp.naming", "want semconv or adot (the awsecscontainermetrics receiver's names), got %q", ot.Naming)
	dd := c.Exporters.Datadog
	check(slices.Contains([]string{"ecswatch", "agent"}, dd.Naming), "exporters.datadog.naming", "want ecswatch or agent (the Datadog Agent checks' names), got %q", dd.Naming)
	check(slices.Contains([]string{"", "low", "orchestrator", "high"}, dd.TagCardinality), "exporters.datadog.tag_cardinality", "want low, orchestrator or high (empty reads DD_CHECKS_TAG_CARDINALITY), got %q", dd.TagCardinality)
	check(dd.PushInterval > 0, "exporters.datadog.push_interval", "must be positive, got %s", dd.PushInterval)
	for _, tag := range dd.Tags {
		check(tag != "" && !strings.ContainsAny(tag, ",|# "), "exporters.datadog.tags", "invalid tag %q (no commas, pipes, hashes or spaces)", tag)
	}
	// Standalone counters aggregate across tasks: without the service in
	// their labels, two services' series would collide.
	check(!(st.Enabled || ev.Enabled || in.Enabled) || c.Exporters.Prometheus.IdentityLabels, "exporters.prometheus.identity_labels", "must be true when standalone, events or insights is enabled")
	check(c.ShutdownTimeout > 0 && time.Duration(c.ShutdownTimeout) < 30*time.Second, "shutdown_timeout", "must be positive and below ECS's default stopTimeout of 30s, got %s", c.ShutdownTimeout)
	check(c.ShutdownLinger >= 0 && c.ShutdownLinger < c.ShutdownTimeout, "shutdown_linger", "must not be negative and must leave part of shutdown_timeout (%s) for the final push, got %s", c.ShutdownTimeout, c.ShutdownLinger)
	return errors.Join(errs...)
}

func mustPath(s string) string {
	u, _ := url.Parse(s)
	return u.Path
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// reservedPaths are served beside the metrics; web.telemetry_path cannot
// take them.
var reservedPaths = []string{"/healthz", "/readyz"}

// CheckEnvironment refuses what the environment says that can never work:
// an ECSWATCH_ variable that names no key (a typo would otherwise be
// ignored), an empty DD_AGENT_HOST, an unknown OTLP protocol, and a metadata
// endpoint that is not a URL when the sidecar would use it. environ is
// os.Environ()'s form; lookup reads one variable.
func (c *Config) CheckEnvironment(environ []string, lookup func(string) (string, bool)) error {
	var errs []error
	known := map[string]bool{EnvPrefix + "CONFIG_FILE": true}
	for _, key := range Keys() {
		known[EnvName(key)] = true
	}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			errs = append(errs, fmt.Errorf("%s: names no configuration key (config.example.yaml lists them; the variable is the key upper-cased with dots as underscores)", name))
		}
	}
	for _, name := range []string{"OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		if v, ok := lookup(name); ok && !slices.Contains([]string{"", "otlp", "none"}, strings.TrimSpace(v)) {
			errs = append(errs, fmt.Errorf("%s: ecswatch sends otlp or none, got %q (Prometheus scrapes /metrics)", name, v))
		}
	}
	if v, ok := lookup("DD_CHECKS_TAG_CARDINALITY"); ok && c.Exporters.Datadog.TagCardinality == "" && !slices.Contains([]string{"low", "orchestrator", "high"}, v) {
		errs = append(errs, fmt.Errorf("DD_CHECKS_TAG_CARDINALITY: want low, orchestrator or high, got %q", v))
	}
	if v, ok := lookup("DD_AGENT_HOST"); ok && strings.TrimSpace(v) == "" {
		errs = append(errs, errors.New("DD_AGENT_HOST: set but empty; unset it, or name the Datadog Agent's host"))
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL"} {
		if v, ok := lookup(name); ok && v != "" && v != "grpc" && v != "http/protobuf" {
			errs = append(errs, fmt.Errorf("%s: want grpc or http/protobuf, got %q", name, v))
		}
	}
	if v, ok := lookup("ECS_CONTAINER_METADATA_URI_V4"); ok && c.Sidecar.Endpoint == "" && c.SidecarEnabled(lookup) && !httpURL(v) {
		errs = append(errs, fmt.Errorf("ECS_CONTAINER_METADATA_URI_V4: want the metadata endpoint's URL, got %q", v))
	}
	return errors.Join(errs...)
}

func (c *Config) origin(key string) string {
	if o, ok := c.origins[key]; ok {
		return o
	}
	return "default"
}

// SidecarEnabled resolves sidecar.enabled against the environment.
func (c *Config) SidecarEnabled(lookup func(string) (string, bool)) bool {
	if c.Sidecar.Enabled != nil {
		return *c.Sidecar.Enabled
	}
	_, ok := lookup("ECS_CONTAINER_METADATA_URI_V4")
	return ok || c.Sidecar.Endpoint != ""
}

// DatadogEnabled resolves exporters.datadog.enabled against the environment.
func (c *Config) DatadogEnabled(lookup func(string) (string, bool)) bool {
	if e := c.Exporters.Datadog.Enabled; e != nil {
		return *e
	}
	_, url := lookup("DD_DOGSTATSD_URL")
	_, host := lookup("DD_AGENT_HOST")
	return url || host || c.Exporters.Datadog.Address != ""
}

// SidecarOnly reports whether c asks only for what the sidecar build has:
// the task metadata endpoint and the Prometheus and Datadog exporters,
// served over plain HTTP.
func (c *Config) SidecarOnly(lookup func(string) (string, bool)) bool {
	return !c.Standalone.Enabled && !c.Insights.Enabled && !c.Events.Enabled && !c.OTLPEnabled(lookup) && c.Web.ConfigFile == ""
}

// OTLPEnabled resolves exporters.otlp.enabled against the environment.
func (c *Config) OTLPEnabled(lookup func(string) (string, bool)) bool {
	if e := c.Exporters.OTLP.Enabled; e != nil {
		return *e
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"} {
		if _, ok := lookup(k); ok {
			return true
		}
	}
	return c.Exporters.OTLP.Endpoint != ""
}

// Duration is a time.Duration written as in Prometheus configs: 15s, 1m30s, 1d.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 15s, got a %s", n.Line, kindName(n.Kind))
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q (want e.g. 500ms, 15s, 1m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

func (d Duration) String() string { return model.Duration(d).String() }

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	default:
		return "value"
	}
}
