package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/ecsapi"
	"github.com/ecswatch/ecswatch/collector/insights"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/collector/taskmeta"
	"github.com/ecswatch/ecswatch/exporters/datadog"
	"github.com/ecswatch/ecswatch/exporters/otlp"
	"github.com/ecswatch/ecswatch/exporters/prometheus"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

var record = flag.Bool("record", false, "record each scenario's inputs from the simulators into testdata/<scenario>/<step>/")

// step is one moment of a scenario: how far into the simulators' timeline,
// and which sources are read then.
type step struct {
	at                     time.Duration
	sidecar, ecs, insights bool
	// cloudWatchDown: CloudWatch answers nothing at this step (no recorded
	// answer, which Replay serves as a 503).
	cloudWatchDown bool
}

// scenarios are the operator situations, each a few collections apart.
var scenarios = map[string][]step{
	// A Fargate task's worker is OOM-killed between two polls.
	"fargate_sidecar_oom": {{at: 10 * time.Second, sidecar: true}, {at: 22 * time.Second, sidecar: true}},
	// checkout has been stuck on insufficient memory for 40 minutes; two
	// minutes later another placement failure is logged.
	"stuck_deployment": {{at: 0, ecs: true}, {at: 2*time.Minute + 10*time.Second, ecs: true}},
	// payments' circuit breaker fails its deployment and rolls back; a
	// worker task is OOM-killed meanwhile.
	"circuit_breaker_rollback": {{at: 0, ecs: true}, {at: sim.CircuitBreakerTrips + 5*time.Second, ecs: true}},
	// Container Insights is read, then CloudWatch is down for longer than
	// insights.stale_after: every ecs_containerinsights_* series goes, from
	// every exporter, rather than being sent on as current.
	"cloudwatch_outage": {{at: 0, ecs: true, insights: true}, {at: 14 * time.Minute, ecs: true, insights: true, cloudWatchDown: true}},
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// TestScenarios runs every scenario's recorded inputs through the real
// collectors and all three exporters, and compares what each backend
// receives with testdata/<scenario>/{metrics.prom,datadog.txt,otlp.txt}.
// ecswatch's own metrics (durations, timestamps) are left out.
func TestScenarios(t *testing.T) {
	t.Parallel()
	for name, steps := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", name)
			if *record {
				recordScenario(t, dir, steps)
			}
			runScenario(t, dir, steps)
		})
	}
}

func stepDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("step%d", i+1)) }

// recordScenario writes each step's answers of the simulators.
func recordScenario(t *testing.T, dir string, steps []step) {
	for i, st := range steps {
		// Both simulators start their timelines at start.
		clk := testutil.NewClock(start)
		ts := sim.NewTaskSim(sim.Fargate, clk.Now)
		fake := sim.NewECS("eu-west-1", clk.Now)
		fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
		clk.Set(start.Add(st.at))
		sd := stepDir(dir, i)
		store := collector.NewStore(clk.Now)
		if st.sidecar {
			srv := httptest.NewServer(sim.Record(filepath.Join(sd, "metadata"), ts.Handler(), sim.MetadataPayload))
			for _, path := range []string{"/task", "/task/stats"} {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			srv.Close()
		}
		if st.ecs {
			srv := httptest.NewServer(sim.Record(filepath.Join(sd, "ecs"), fake, sim.ECSPayload))
			c := ecsCollector(t, srv.URL, store, clk.Now)
			if err := c.Collect(t.Context()); err != nil {
				t.Fatal(err)
			}
			srv.Close()
		}
		if st.insights && !st.cloudWatchDown {
			// Reads the Container Insights series of the services just read.
			srv := httptest.NewServer(sim.Record(filepath.Join(sd, "cloudwatch"), sim.NewCloudWatch(clk.Now), sim.CloudWatchPayload))
			if err := insightsCollector(t, srv.URL, store, clk.Now).Collect(t.Context()); err != nil {
				t.Fatal(err)
			}
			srv.Close()
		}
		if err := os.WriteFile(filepath.Join(sd, "now.txt"), []byte(clk.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ecsCollector(t *testing.T, url string, store *collector.Store, now func() time.Time) *ecsapi.Collector {
	t.Helper()
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(url, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	c := ecsapi.New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), ecsapi.Options{
		Clusters: []string{sim.ShopCluster}, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions,
	})
	c.SetClock(now)
	return c
}

func insightsCollector(t *testing.T, url string, store *collector.Store, now func() time.Time) *insights.Collector {
	t.Helper()
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(url, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	in := config.Default().Insights
	c := insights.New(cloudwatch.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), insights.Options{
		Clusters: []string{sim.ShopCluster}, Period: time.Duration(in.Period), Delay: time.Duration(in.Delay),
		Lookback: time.Duration(in.Lookback), StaleAfter: time.Duration(in.StaleAfter), CallTimeout: 10 * time.Second,
	})
	c.SetClock(now)
	return c
}

// runScenario replays the steps through the collectors into one Store that
// the three exporters read, and compares what each delivered.
func runScenario(t *testing.T, dir string, steps []step) {
	var (
		mu      sync.Mutex
		current string
		now     time.Time
	)
	at := func() string { mu.Lock(); defer mu.Unlock(); return current }
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := collector.NewStore(clock)
	logger := slog.New(slog.DiscardHandler)

	var collectors []collector.Collector
	if slices.ContainsFunc(steps, func(s step) bool { return s.sidecar }) {
		srv := httptest.NewServer(sim.Replay(func() string { return filepath.Join(at(), "metadata") }, sim.MetadataPayload))
		t.Cleanup(srv.Close)
		collectors = append(collectors, taskmeta.New(taskmeta.Name, taskmeta.NewClient(srv.URL, 5*time.Second), store, logger))
	}
	if slices.ContainsFunc(steps, func(s step) bool { return s.ecs }) {
		srv := httptest.NewServer(sim.Replay(func() string { return filepath.Join(at(), "ecs") }, sim.ECSPayload))
		t.Cleanup(srv.Close)
		collectors = append(collectors, ecsCollector(t, srv.URL, store, clock))
	}
	if slices.ContainsFunc(steps, func(s step) bool { return s.insights }) {
		srv := httptest.NewServer(sim.Replay(func() string { return filepath.Join(at(), "cloudwatch") }, sim.CloudWatchPayload))
		t.Cleanup(srv.Close)
		collectors = append(collectors, insightsCollector(t, srv.URL, store, clock))
	}

	prom := prometheus.New(store, prometheus.Options{IdentityLabels: true})
	reg, err := prometheus.NewRegistry(false)
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(prom)
	// A Unix datagram socket, which loses nothing, where UDP may drop a
	// burst and make the golden flaky.
	agent, addr := testutil.ListenDogStatsD(t, "unixgram", filepath.Join(t.TempDir(), "dsd.sock"))
	dd, err := datadog.New(store, store.Subscribe(datadog.Name, 1024), logger, datadog.Options{Address: "unix://" + addr, Namespace: "ecswatch.", PushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	receiver := &otlpReceiver{}
	otlpSrv := httptest.NewServer(receiver)
	t.Cleanup(otlpSrv.Close)
	ot := otlp.New(store, store.Subscribe(otlp.Name, 1024), logger, otlp.Options{
		Endpoint: otlpSrv.URL, Protocol: otlp.ProtocolHTTP, Insecure: true, Interval: time.Hour, Timeout: 5 * time.Second}, "test")

	var datagrams []string
	for i, st := range steps {
		sd := stepDir(dir, i)
		nowText := testutil.ReadFile(t, filepath.Join(sd, "now.txt"))
		mu.Lock()
		current = sd
		now, err = time.Parse(time.RFC3339, strings.TrimSpace(string(nowText)))
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range collectors {
			read := map[string]bool{taskmeta.Name: st.sidecar, ecsapi.Name: st.ecs, insights.Name: st.insights}
			if !read[c.Name()] {
				continue
			}
			err := c.Collect(t.Context())
			if down := c.Name() == insights.Name && st.cloudWatchDown; (err != nil) != down {
				t.Fatalf("%s at step %d: error %v, CloudWatch down %t", c.Name(), i+1, err, down)
			}
		}
		dd.Push()
		sent := agent.Take()
		if st.cloudWatchDown {
			for _, d := range sent {
				if strings.Contains(d, ".containerinsights.") {
					t.Errorf("step %d: Datadog sent %s while CloudWatch was down past stale_after", i+1, d)
				}
			}
		}
		datagrams = append(datagrams, sent...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := dd.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	datagrams = append(datagrams, agent.Take()...)
	if err := ot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	testutil.Golden(t, filepath.Join(dir, "metrics.prom"), prometheusText(t, reg))
	testutil.Golden(t, filepath.Join(dir, "datadog.txt"), dogStatsDText(datagrams))
	testutil.Golden(t, filepath.Join(dir, "otlp.txt"), receiver.text())
}

// prometheusText is the exposition of reg, ecswatch's own families left out.
func prometheusText(t *testing.T, reg interface {
	Gather() ([]*dto.MetricFamily, error)
}) []byte {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "ecswatch_") {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.Bytes()
}

// dogStatsDText is what the Agent made of the datagrams, independent of how
// the client's aggregation happened to batch them: counts summed per series,
// each distinct gauge value and service check once, every event, and
// ecswatch's own metrics left out.
func dogStatsDText(lines []string) []byte {
	counts := map[string]float64{}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "ecswatch.self.") {
			continue
		}
		nameValue, rest, _ := strings.Cut(l, "|")
		if typ, tags, _ := strings.Cut(rest, "|"); typ == "c" {
			name, value, _ := strings.Cut(nameValue, ":")
			v, _ := strconv.ParseFloat(value, 64)
			counts[name+"|c|"+tags] += v
			continue
		}
		if !strings.HasPrefix(l, "_e{") {
			if seen[l] {
				continue
			}
			seen[l] = true
		}
		out = append(out, l)
	}
	for key, v := range counts {
		name, rest, _ := strings.Cut(key, "|")
		out = append(out, fmt.Sprintf("%s:%g|%s", name, v, rest))
	}
	return sortedLines(out, func(string) bool { return true })
}

func sortedLines(lines []string, keep func(string) bool) []byte {
	var out []string
	for _, l := range lines {
		if keep(l) {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return []byte(strings.Join(out, "\n") + "\n")
}

// otlpReceiver is an OTLP/HTTP endpoint that keeps, as text lines, every
// data point and log record it receives.
type otlpReceiver struct {
	mu    sync.Mutex
	lines []string
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var lines []string
	var msg proto.Message
	switch r.URL.Path {
	case "/v1/metrics":
		msg = &colmetrics.ExportMetricsServiceRequest{}
	case "/v1/logs":
		msg = &collogs.ExportLogsServiceRequest{}
	default:
		http.NotFound(w, r)
		return
	}
	if err := proto.Unmarshal(body, msg); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	switch req := msg.(type) {
	case *colmetrics.ExportMetricsServiceRequest:
		for _, rm := range req.ResourceMetrics {
			res := attrs(rm.GetResource().GetAttributes())
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					for _, p := range append(m.GetSum().GetDataPoints(), m.GetGauge().GetDataPoints()...) {
						if strings.HasPrefix(m.Name, "ecswatch.") {
							continue
						}
						lines = append(lines, fmt.Sprintf("metric %s %s %s %g resource %s", m.Name, m.Unit, attrs(p.Attributes), p.GetAsDouble(), res))
					}
				}
			}
		}
	case *collogs.ExportLogsServiceRequest:
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					lines = append(lines, fmt.Sprintf("log %s %s %s", lr.EventName, lr.SeverityText, attrs(lr.Attributes)))
				}
			}
		}
	}
	o.mu.Lock()
	o.lines = append(o.lines, lines...)
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (o *otlpReceiver) text() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return sortedLines(o.lines, func(string) bool { return true })
}

// attrs formats attributes sorted by key, values as strings.
func attrs(kvs []*common.KeyValue) string {
	var parts []string
	for _, kv := range kvs {
		v := kv.Value.GetStringValue()
		if arr := kv.Value.GetArrayValue(); arr != nil {
			var vs []string
			for _, e := range arr.Values {
				vs = append(vs, e.GetStringValue())
			}
			v = "[" + strings.Join(vs, " ") + "]"
		}
		parts = append(parts, kv.Key+"="+v)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}
