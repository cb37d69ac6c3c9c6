package otlp

import (
	"bytes"
	"context"
	"fmt"
	stdlog "log"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/otelcoltest"
	"github.com/ecswatch/ecswatch/internal/testpipeline"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// run feeds the demo scenario at its start and 25 seconds in (after the
// worker's OOM kills and the failed payments deployment) to an Exporter
// sending to col over protocol, and returns what the Collector printed.
func run(t *testing.T, col *otelcoltest.Collector, protocol string, standalone bool) ([]otelcoltest.Metric, []otelcoltest.LogRecord) {
	t.Helper()
	return runNaming(t, col, protocol, standalone, NamingSemconv)
}

// runNaming is run with the naming mode given.
func runNaming(t *testing.T, col *otelcoltest.Collector, protocol string, standalone bool, naming string) ([]otelcoltest.Metric, []otelcoltest.LogRecord) {
	t.Helper()
	before := len(col.Output()) // the Collector may have served an earlier run
	p, err := testpipeline.New(t.Context(), standalone)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	endpoint := "http://" + col.HTTP
	if protocol == ProtocolGRPC {
		endpoint = "http://" + col.GRPC
	}
	exp := New(p.Store, p.Store.Subscribe(Name, 64), slog.New(slog.DiscardHandler),
		Options{Endpoint: endpoint, Protocol: protocol, Insecure: true, Interval: time.Hour, Timeout: 10 * time.Second, Naming: naming}, "test")
	if err := p.At(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { exp.Run(ctx); close(done) }()
	if naming == NamingADOT {
		// A first export at the start, so that the receiver's rates have
		// two readings by the last one.
		for !exp.started() {
			time.Sleep(10 * time.Millisecond)
		}
		if err := exp.ForceFlush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.At(t.Context(), 25*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if err := exp.Shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown (last push): %v", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		metrics, logs := otelcoltest.Parse(col.Output()[before:])
		if len(metrics) > 0 && len(logs) > 0 {
			return metrics, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector received %d metrics and %d log records", len(metrics), len(logs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func metricNamed(t *testing.T, ms []otelcoltest.Metric, name string) otelcoltest.Metric {
	t.Helper()
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("collector got no metric %s", name)
	return otelcoltest.Metric{}
}

// metricOf returns the metric called name on the resource that has the
// attributes res.
func metricOf(t *testing.T, ms []otelcoltest.Metric, name string, res map[string]string) otelcoltest.Metric {
	t.Helper()
	for _, m := range ms {
		if m.Name == name && !slices.ContainsFunc(mapKeys(res), func(k string) bool { return m.Resource[k] != res[k] }) {
			return m
		}
	}
	t.Fatalf("collector got no metric %s on a resource with %v", name, res)
	return otelcoltest.Metric{}
}

func point(m otelcoltest.Metric, attrs map[string]string) (float64, bool) {
	for _, p := range m.Points {
		if !slices.ContainsFunc(mapKeys(attrs), func(k string) bool { return p.Attrs[k] != attrs[k] }) {
			v, err := strconv.ParseFloat(p.Value, 64)
			return v, err == nil
		}
	}
	return 0, false
}

func mapKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestSidecarThroughCollector: a sidecar's task becomes the resource, the
// container metrics carry semconv names, units and attributes, and the OOM
// kill arrives as a log record; over gRPC and over HTTP/protobuf.
func TestSidecarThroughCollector(t *testing.T) {
	col := otelcoltest.Start(t)
	for _, protocol := range []string{ProtocolGRPC, ProtocolHTTP} {
		t.Run(protocol, func(t *testing.T) {
			metrics, logs := run(t, col, protocol, false)

			cpu := metricNamed(t, metrics, "container.cpu.time")
			if cpu.Unit != "s" || cpu.DataType != "Sum" || !cpu.Monotonic || cpu.Temporality != "Cumulative" {
				t.Errorf("container.cpu.time descriptor: %+v", cpu)
			}
			wantRes := map[string]string{
				"cloud.provider": "aws", "cloud.platform": "aws_ecs", "cloud.region": "eu-west-1", "cloud.account.id": "123456789012",
				"cloud.availability_zone": "eu-west-1a", "aws.ecs.cluster.arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod",
				"aws.ecs.task.arn":    "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b",
				"aws.ecs.task.family": "storefront", "aws.ecs.task.revision": "42", "aws.ecs.launchtype": "fargate", "service.name": "ecswatch",
			}
			for k, v := range wantRes {
				if cpu.Resource[k] != v {
					t.Errorf("resource %s = %q, want %q", k, cpu.Resource[k], v)
				}
			}
			// One resource per container, as the conventions put them:
			// the task's attributes and the container's.
			app := metricOf(t, metrics, "container.cpu.time", map[string]string{"container.name": "app", "container.image.name": "public.ecr.aws/acme/storefront",
				"container.id": "3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b-1180339877", "aws.ecs.task.family": "storefront", "service.name": "ecswatch"})
			if v, ok := point(app, nil); !ok || v <= 0 || len(app.Points) != 1 {
				t.Errorf("app CPU point: %v %v in %+v", v, ok, app.Points)
			}
			if _, ok := app.Points[0].Attrs["container.name"]; ok {
				t.Error("container.name repeated on the point")
			}
			if _, ok := point(cpu, map[string]string{"aws.ecs.task.family": "storefront"}); ok {
				t.Error("points repeat the task identity the resource already carries")
			}
			ws := metricOf(t, metrics, "container.memory.working_set", map[string]string{"container.name": "app"})
			if v, ok := point(ws, nil); ws.Unit != "By" || !ok || v < 100<<20 {
				t.Errorf("working set: unit %q, app %v", ws.Unit, v)
			}
			netio := metricNamed(t, metrics, "container.network.io")
			if v, ok := point(netio, map[string]string{"network.io.direction": "receive", "network.interface.name": "eth1"}); !ok || v < 9e6 {
				t.Errorf("network receive point: %v %v", v, ok)
			}
			oom := metricOf(t, metrics, "aws.ecs.container.oom_kills", map[string]string{"container.name": "worker"})
			if v, ok := point(oom, nil); !ok || v != 1 {
				t.Errorf("worker OOM kills = %v (%v)", v, ok)
			}

			i := slices.IndexFunc(logs, func(l otelcoltest.LogRecord) bool { return l.EventName == "aws.ecs.container.oom_kill" })
			if i < 0 {
				t.Fatalf("no OOM log record in %+v", logs)
			}
			if l := logs[i]; l.SeverityText != "ERROR" || l.Attrs["container.name"] != "worker" || !strings.Contains(l.Body, "137") {
				t.Errorf("OOM log record: %+v", l)
			}
		})
	}
}

// TestStandaloneThroughCollector: with many tasks and services, points say
// which cluster and service they belong to, and deployment changes arrive
// as log records.
func TestStandaloneThroughCollector(t *testing.T) {
	col := otelcoltest.Start(t)
	metrics, logs := run(t, col, ProtocolGRPC, true)
	stuck := metricNamed(t, metrics, "aws.ecs.deployment.stuck")
	if v, ok := point(stuck, map[string]string{"aws.ecs.cluster.name": "shop-prod", "aws.ecs.service.name": "checkout", "ecswatch.reason": "placement_failure"}); !ok || v != 1 {
		t.Errorf("checkout stuck = %v (%v)", v, ok)
	}
	failures := metricNamed(t, metrics, "aws.ecs.deployment.failures")
	if v, ok := point(failures, map[string]string{"aws.ecs.service.name": "payments", "ecswatch.deployment.cause": "circuit_breaker"}); !ok || v != 1 || !failures.Monotonic {
		t.Errorf("payments failures = %v (%v)", v, ok)
	}
	for _, name := range []string{"aws.ecs.deployment.failed", "aws.ecs.deployment.stuck", "aws.ecs.container.oom_kill"} {
		if !slices.ContainsFunc(logs, func(l otelcoltest.LogRecord) bool { return l.EventName == name }) {
			t.Errorf("no %s log record", name)
		}
	}
	if res := stuck.Resource; res["cloud.region"] != "eu-west-1" || res["aws.ecs.task.arn"] != "" {
		t.Errorf("standalone resource: %+v", res)
	}
}

// TestCollectorDown: with nothing listening, the push fails within its
// bound and the lost points are counted; collection is unaffected.
func TestCollectorDown(t *testing.T) {
	p := sidecarAtStart(t)
	exp := New(p.Store, p.Store.Subscribe(Name, 64), slog.New(slog.DiscardHandler),
		Options{Endpoint: "http://127.0.0.1:1", Protocol: ProtocolHTTP, Insecure: true, Interval: time.Hour, Timeout: 2 * time.Second}, "test")
	start := time.Now()
	if err := exp.Shutdown(t.Context()); err == nil {
		t.Error("shutdown reported success with no collector")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("a dead collector held shutdown for %s", took)
	}
	var dropped uint64
	for _, c := range p.Store.Snapshot().Counts {
		if c.Name == collector.DroppedMetric && c.Label == Name {
			dropped = c.Count
		}
	}
	if dropped == 0 {
		t.Error("no dropped points counted")
	}
	if err := p.At(t.Context(), time.Second); err != nil {
		t.Errorf("collection after the failed push: %v", err)
	}
}

// TestReadmeTable keeps README's OTLP table generated from the catalogue's
// OTLP column.
func TestReadmeTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Catalogue metric | OTLP metric | Unit | Instrument |\n|---|---|---|---|\n")
	for _, f := range catalog.Families() {
		m := f.OTLP
		if m.Instrument == catalog.InstrumentAttributes {
			fmt.Fprintf(&b, "| `%s` | — | | its labels are resource or point attributes |\n", f.Name)
			continue
		}
		name := "`" + m.Name + "`"
		for _, k := range slices.Sorted(maps.Keys(m.Attrs)) {
			name += fmt.Sprintf(" `%s=%s`", k, m.Attrs[k])
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s |\n", f.Name, name, f.Unit, m.Instrument)
	}
	testutil.ReadmeSection(t, "../../README.md", "<!-- otlp:begin (generated by go test ./exporters/otlp -update) -->\n", "<!-- otlp:end -->\n", b.String())
}

// TestExportErrorsGoThroughSlog: a failing Collector is reported in the
// structured log, at most once per errorLogEvery, never as plain lines from
// the standard log package among the JSON records.
func TestExportErrorsGoThroughSlog(t *testing.T) {
	var plain bytes.Buffer
	stdlog.SetOutput(&plain)
	defer stdlog.SetOutput(os.Stderr)
	p := sidecarAtStart(t)
	logs := &testutil.Logs{}
	exp := New(p.Store, p.Store.Subscribe(Name, 64), logs.Logger(),
		Options{Endpoint: "http://127.0.0.1:1", Protocol: ProtocolHTTP, Insecure: true, Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}, "test")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { exp.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "otlp export failed") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	_ = exp.Shutdown(t.Context())
	if n := strings.Count(logs.String(), "otlp export failed"); n != 1 {
		t.Errorf("%d export failures logged through slog, want 1 (rate-limited):\n%s", n, logs.String())
	}
	if plain.Len() > 0 {
		t.Errorf("the SDK wrote to the standard log:\n%s", plain.String())
	}
}

// sidecarAtStart is the demo's sidecar pipeline after its first collection.
func sidecarAtStart(t *testing.T) *testpipeline.Pipeline {
	t.Helper()
	p, err := testpipeline.New(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.At(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	return p
}
