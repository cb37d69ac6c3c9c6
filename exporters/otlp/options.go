package otlp

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ecswatch/ecswatch/exporters/push"
)

// Options configure the exporters. Every empty field leaves the decision to
// the standard OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* variables, which
// the OpenTelemetry exporters read themselves, and then to their defaults.
type Options struct {
	// Endpoint is the base URL of the Collector, e.g. http://otel:4317 for
	// gRPC or http://otel:4318 for HTTP (the /v1/metrics and /v1/logs
	// paths are added).
	Endpoint string
	// Protocol is grpc or http/protobuf.
	Protocol    string
	Headers     map[string]string
	Insecure    bool
	Compression string // gzip or none
	// Temporality is cumulative or delta.
	Temporality string
	// Interval between metric pushes.
	Interval time.Duration
	// Timeout of one export, retries included.
	Timeout time.Duration
	// Naming is NamingSemconv (empty means it) or NamingADOT.
	Naming string
}

// The naming modes.
const (
	// NamingSemconv uses the semantic conventions' names, and ecswatch's
	// documented ones where the conventions have none.
	NamingSemconv = "semconv"
	// NamingADOT uses the contrib awsecscontainermetrics receiver's names,
	// units and resource attributes (catalog.ADOT) for the data it also
	// reports; ecswatch's own signals keep their names.
	NamingADOT = "adot"
)

// The protocols of the OTLP specification.
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// resolveProtocol applies the specification's precedence: the option, the
// signal's variable, the general variable, then http/protobuf.
func resolveProtocol(option, signal string, lookup func(string) (string, bool)) string {
	if option != "" {
		return option
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v, ok := lookup(key); ok && v != "" {
			return v
		}
	}
	return ProtocolHTTP
}

// retry bounds what one failing export may cost: a few tries within half a
// minute, then the batch is dropped and counted.
const (
	retryInitial = time.Second
	retryMax     = 5 * time.Second
	retryElapsed = 30 * time.Second
)

func newExporters(ctx context.Context, o Options) (sdkmetric.Exporter, sdklog.Exporter, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	base := strings.TrimRight(o.Endpoint, "/")
	var (
		mexp sdkmetric.Exporter
		lexp sdklog.Exporter
		err  error
	)
	switch p := resolveProtocol(o.Protocol, "METRICS", os.LookupEnv); p {
	case ProtocolGRPC:
		opts := commonOptions(o, base, "", timeout, otlpmetricgrpc.WithTimeout, otlpmetricgrpc.WithEndpointURL,
			otlpmetricgrpc.WithInsecure, otlpmetricgrpc.WithHeaders, otlpmetricgrpc.WithCompressor("gzip"),
			otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: true, InitialInterval: retryInitial, MaxInterval: retryMax, MaxElapsedTime: retryElapsed}))
		mexp, err = otlpmetricgrpc.New(ctx, withTemporality(opts, o.Temporality, otlpmetricgrpc.WithTemporalitySelector)...)
	case ProtocolHTTP:
		opts := commonOptions(o, base, "/v1/metrics", timeout, otlpmetrichttp.WithTimeout, otlpmetrichttp.WithEndpointURL,
			otlpmetrichttp.WithInsecure, otlpmetrichttp.WithHeaders, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression),
			otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig{Enabled: true, InitialInterval: retryInitial, MaxInterval: retryMax, MaxElapsedTime: retryElapsed}))
		mexp, err = otlpmetrichttp.New(ctx, withTemporality(opts, o.Temporality, otlpmetrichttp.WithTemporalitySelector)...)
	default:
		return nil, nil, fmt.Errorf("otlp: unknown protocol %q (want grpc or http/protobuf)", p)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("otlp metric exporter: %w", err)
	}

	switch p := resolveProtocol(o.Protocol, "LOGS", os.LookupEnv); p {
	case ProtocolGRPC:
		opts := commonOptions(o, base, "", timeout, otlploggrpc.WithTimeout, otlploggrpc.WithEndpointURL,
			otlploggrpc.WithInsecure, otlploggrpc.WithHeaders, otlploggrpc.WithCompressor("gzip"),
			otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: true, InitialInterval: retryInitial, MaxInterval: retryMax, MaxElapsedTime: retryElapsed}))
		lexp, err = otlploggrpc.New(ctx, opts...)
	case ProtocolHTTP:
		opts := commonOptions(o, base, "/v1/logs", timeout, otlploghttp.WithTimeout, otlploghttp.WithEndpointURL,
			otlploghttp.WithInsecure, otlploghttp.WithHeaders, otlploghttp.WithCompression(otlploghttp.GzipCompression),
			otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: true, InitialInterval: retryInitial, MaxInterval: retryMax, MaxElapsedTime: retryElapsed}))
		lexp, err = otlploghttp.New(ctx, opts...)
	default:
		return nil, nil, fmt.Errorf("otlp: unknown protocol %q (want grpc or http/protobuf)", p)
	}
	if err != nil {
		_ = mexp.Shutdown(ctx)
		return nil, nil, fmt.Errorf("otlp log exporter: %w", err)
	}
	return mexp, lexp, nil
}

// commonOptions builds the options the four OTLP exporter packages share,
// each with its own option type: the timeout, the endpoint (path is the
// signal's path over HTTP), insecure transport, headers and gzip.
func commonOptions[O any](o Options, base, path string, timeout time.Duration,
	withTimeout func(time.Duration) O, withEndpointURL func(string) O, withInsecure func() O,
	withHeaders func(map[string]string) O, gzip, retry O) []O {
	opts := []O{withTimeout(timeout), retry}
	if base != "" {
		opts = append(opts, withEndpointURL(base+path))
	}
	if o.Insecure {
		opts = append(opts, withInsecure())
	}
	if len(o.Headers) > 0 {
		opts = append(opts, withHeaders(o.Headers))
	}
	if o.Compression == "gzip" {
		opts = append(opts, gzip)
	}
	return opts
}

// withTemporality adds the configured temporality, if any, to a metric
// exporter's options.
func withTemporality[O any](opts []O, t string, with func(sdkmetric.TemporalitySelector) O) []O {
	if sel := temporality(t); sel != nil {
		return append(opts, with(sel))
	}
	return opts
}

func temporality(t string) sdkmetric.TemporalitySelector {
	switch t {
	case "delta":
		return func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }
	case "cumulative":
		return sdkmetric.DefaultTemporalitySelector
	}
	return nil
}

// countingMetricExporter counts the data points of exports that failed for
// good (after the exporter's own retries) as dropped.
// A successful export tells the Store which snapshot left the process.
type countingMetricExporter struct {
	sdkmetric.Exporter
	drops    *push.Drops
	source   Source
	observed func() time.Time // the snapshot the last collection read
}

func (c *countingMetricExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	err := c.Exporter.Export(ctx, rm)
	if err == nil {
		c.source.Exported(Name, c.observed())
	} else {
		n := 0
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case metricdata.Sum[float64]:
					n += len(d.DataPoints)
				case metricdata.Gauge[float64]:
					n += len(d.DataPoints)
				default:
					n++
				}
			}
		}
		c.drops.Add(uint64(n))
	}
	return err
}

// countingLogExporter counts the records of failed exports as dropped.
type countingLogExporter struct {
	sdklog.Exporter
	drops *push.Drops
}

func (c *countingLogExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := c.Exporter.Export(ctx, records)
	if err != nil {
		c.drops.Add(uint64(len(records)))
	}
	return err
}

// selectExporters applies the specification's environment-driven exporter
// selection, OTEL_METRICS_EXPORTER and OTEL_LOGS_EXPORTER: "none" turns a
// signal off (its data is dropped before it leaves, and not counted as
// lost); "otlp" or unset keep it. ecswatch speaks OTLP only: the other
// values (console, prometheus) are refused when the configuration is
// checked, Prometheus having /metrics.
func selectExporters(m sdkmetric.Exporter, l sdklog.Exporter, lookup func(string) (string, bool)) (sdkmetric.Exporter, sdklog.Exporter) {
	if v, _ := lookup("OTEL_METRICS_EXPORTER"); strings.TrimSpace(v) == "none" {
		m = discardMetrics{m}
	}
	if v, _ := lookup("OTEL_LOGS_EXPORTER"); strings.TrimSpace(v) == "none" {
		l = discardLogs{l}
	}
	return m, l
}

// discardMetrics drops every export: OTEL_METRICS_EXPORTER=none.
type discardMetrics struct{ sdkmetric.Exporter }

func (discardMetrics) Export(context.Context, *metricdata.ResourceMetrics) error { return nil }

// discardLogs drops every export: OTEL_LOGS_EXPORTER=none.
type discardLogs struct{ sdklog.Exporter }

func (discardLogs) Export(context.Context, []sdklog.Record) error { return nil }
