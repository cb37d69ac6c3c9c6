// Package otelcoltest runs a real OpenTelemetry Collector (otlp receiver,
// debug exporter) for integration tests, and parses what its debug exporter
// prints. The binary is built from manifest.yaml with the collector builder
// (see .ci/run); tests find it through $OTELCOL_BINARY.
package otelcoltest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

// EnvBinary names the variable that points at the built Collector.
const EnvBinary = "OTELCOL_BINARY"

// Collector is a running Collector.
type Collector struct {
	GRPC string // host:port of the OTLP/gRPC receiver
	HTTP string // host:port of the OTLP/HTTP receiver

	mu  sync.Mutex
	out bytes.Buffer
	cmd *exec.Cmd
}

func (c *Collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

// Output is everything the Collector printed so far.
func (c *Collector) Output() string { c.mu.Lock(); defer c.mu.Unlock(); return c.out.String() }

// Start runs the Collector until the test ends. Without the binary the test
// is skipped, except in CI, where .ci/run builds it and its absence fails.
func Start(t testing.TB) *Collector {
	t.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("$%s is not set in CI", EnvBinary)
		}
		t.Skipf("$%s not set: build the Collector from internal/otelcoltest/manifest.yaml (see .ci/run)", EnvBinary)
	}
	c := &Collector{GRPC: testutil.FreeAddr(t, "127.0.0.1"), HTTP: testutil.FreeAddr(t, "127.0.0.1")}
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
      http:
        endpoint: %s
exporters:
  debug:
    verbosity: detailed
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
    logs:
      receivers: [otlp]
      exporters: [debug]
  telemetry:
    metrics:
      level: none
`, c.GRPC, c.HTTP)
	path := filepath.Join(t.TempDir(), "otelcol.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, "--config", path)
	c.cmd.Stdout, c.cmd.Stderr = c, c
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		if t.Failed() {
			out := c.Output()
			t.Logf("collector output (last 8 KiB):\n%s", out[max(0, len(out)-8192):])
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.Output(), "Everything is ready") {
		if time.Now().After(deadline) {
			t.Fatalf("collector not ready:\n%s", c.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// Metric is one metric as the debug exporter printed it.
type Metric struct {
	Resource    map[string]string
	Name, Unit  string
	DataType    string
	Monotonic   bool
	Temporality string
	Points      []Point
}

// Point is one number data point.
type Point struct {
	Attrs map[string]string
	Value string
}

// LogRecord is one log record as the debug exporter printed it.
type LogRecord struct {
	Resource     map[string]string
	EventName    string
	SeverityText string
	Body         string
	Attrs        map[string]string
}

// Parse reads the debug exporter's detailed output.
func Parse(out string) (metrics []Metric, logs []LogRecord) {
	var (
		resource map[string]string
		section  string // what "-> k: v" lines belong to
		m        *Metric
		p        *Point
		l        *LogRecord
	)
	flushMetric := func() {
		if m != nil {
			metrics = append(metrics, *m)
			m = nil
		}
	}
	flushLog := func() {
		if l != nil {
			logs = append(logs, *l)
			l = nil
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		// The first line of each batch carries the Collector's log prefix
		// (time, level) before a tab.
		line := sc.Text()
		line = strings.TrimSpace(line[strings.LastIndexByte(line, '\t')+1:])
		switch {
		case strings.HasPrefix(line, "ResourceMetrics #"), strings.HasPrefix(line, "ResourceLog #"):
			flushMetric()
			flushLog()
			resource, section = map[string]string{}, "resource"
		case line == "Resource attributes:":
			section = "resource"
		case strings.HasPrefix(line, "Metric #"):
			flushMetric()
			m, section = &Metric{Resource: resource}, "descriptor"
		case strings.HasPrefix(line, "NumberDataPoints #"):
			m.Points = append(m.Points, Point{Attrs: map[string]string{}})
			p, section = &m.Points[len(m.Points)-1], "point"
		case line == "Data point attributes:":
			section = "point"
		case strings.HasPrefix(line, "Value: ") && p != nil:
			p.Value = strings.TrimPrefix(line, "Value: ")
		case strings.HasPrefix(line, "LogRecord #"):
			flushLog()
			l, section = &LogRecord{Resource: resource, Attrs: map[string]string{}}, "log"
		case l != nil && strings.HasPrefix(line, "EventName: "):
			l.EventName = strings.TrimPrefix(line, "EventName: ")
		case l != nil && strings.HasPrefix(line, "SeverityText: "):
			l.SeverityText = strings.TrimPrefix(line, "SeverityText: ")
		case l != nil && strings.HasPrefix(line, "Body: "):
			l.Body = unwrap(strings.TrimPrefix(line, "Body: "))
		case strings.HasPrefix(line, "-> "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "-> "), ": ")
			switch section {
			case "resource":
				if resource != nil {
					resource[k] = unwrap(v)
				}
			case "descriptor":
				switch k {
				case "Name":
					m.Name = v
				case "Unit":
					m.Unit = v
				case "DataType":
					m.DataType = v
				case "IsMonotonic":
					m.Monotonic = v == "true"
				case "AggregationTemporality":
					m.Temporality = v
				}
			case "point":
				p.Attrs[k] = unwrap(v)
			case "log":
				l.Attrs[k] = unwrap(v)
			}
		}
	}
	flushMetric()
	flushLog()
	return metrics, logs
}

// unwrap turns the debug exporter's Str(x) into x.
func unwrap(v string) string {
	if i := strings.IndexByte(v, '('); i > 0 && strings.HasSuffix(v, ")") {
		return v[i+1 : len(v)-1]
	}
	return v
}
