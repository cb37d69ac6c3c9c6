package otlp

import (
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/otelcoltest"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// adotNotSent is what the receiver sends that ecswatch cannot, and why.
var adotNotSent = map[string]string{
	"memory.usage.max":     "cgroup v1 max_usage is not kept",
	"cpu.usage.kernelmode": "ecswatch keeps total CPU time only",
	"cpu.usage.usermode":   "ecswatch keeps total CPU time only",
	"cpu.usage.system":     "the host's CPU time (system_cpu_usage) says nothing about the task",
	"cpu.cores":            "per-CPU usage is not kept",
	"cpu.onlines":          "online CPUs are not kept",
	"duration":             "container start and finish times are not kept",
}

// adotResourceNotSent are the receiver's resource attributes ecswatch does
// not have.
var adotResourceNotSent = map[string]string{
	"aws.ecs.docker.name":           "the Docker name is not kept",
	"aws.ecs.container.created_at":  "container times are not kept",
	"aws.ecs.container.started_at":  "container times are not kept",
	"aws.ecs.container.finished_at": "container times are not kept",
	"aws.ecs.container.exit_code":   "set only on an exited container",
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(testutil.ReadFile(t, path)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// TestADOTThroughCollector: in receiver-compatible naming, a real Collector
// receives the awsecscontainermetrics receiver's names, units and kinds
// (testdata/adot_metrics.csv) for the demo's sidecar task, container
// metrics on one resource per container and task metrics on the task's,
// with the receiver's resource attributes (testdata/adot_resource.csv).
func TestADOTThroughCollector(t *testing.T) {
	col := otelcoltest.Start(t)
	metrics, _ := runNaming(t, col, ProtocolGRPC, false, NamingADOT)
	type published struct{ unit, typ string }
	want := map[string]published{}
	for _, r := range readCSV(t, "testdata/adot_metrics.csv") {
		want[r[0]] = published{r[1], r[2]}
	}
	seen := map[string]bool{}
	for _, m := range metrics {
		if !strings.HasPrefix(m.Name, "ecs.task.") && !strings.HasPrefix(m.Name, "container.") {
			continue // ecswatch's own signals keep their names
		}
		seen[m.Name] = true
		p, ok := want[m.Name]
		switch {
		case !ok:
			t.Errorf("%s is not one of the receiver's metrics", m.Name)
		case m.Unit != p.unit:
			t.Errorf("%s unit %q, the receiver's is %q", m.Name, m.Unit, p.unit)
		case p.typ == "sum" && (m.DataType != "Sum" || m.Monotonic || m.Temporality != "Cumulative"):
			t.Errorf("%s: %s monotonic=%v %s, the receiver sends a non-monotonic cumulative sum", m.Name, m.DataType, m.Monotonic, m.Temporality)
		case p.typ == "gauge" && m.DataType != "Gauge":
			t.Errorf("%s: %s, the receiver sends a gauge", m.Name, m.DataType)
		}
		isContainer := m.Resource["container.name"] != ""
		if strings.HasPrefix(m.Name, "container.") != isContainer {
			t.Errorf("%s on resource %v", m.Name, m.Resource)
		}
	}
	for name := range want {
		suffix := strings.TrimPrefix(strings.TrimPrefix(name, "ecs.task."), "container.")
		reason, listed := adotNotSent[suffix]
		switch {
		case seen[name] && listed:
			t.Errorf("%s is sent but listed as not sent (%s)", name, reason)
		case !seen[name] && !listed:
			t.Errorf("the receiver's %s is neither sent nor listed in adotNotSent", name)
		}
	}

	app := metricOf(t, metrics, "container.memory.usage", map[string]string{"container.name": "app"})
	task := metricNamed(t, metrics, "ecs.task.memory.usage")
	for _, r := range readCSV(t, "testdata/adot_resource.csv") {
		attr, level := r[0], r[1]
		if _, skip := adotResourceNotSent[attr]; skip {
			continue
		}
		// Present, if empty: the receiver sets aws.ecs.service.name
		// whether the endpoint names the service or not.
		if _, ok := app.Resource[attr]; !ok {
			t.Errorf("container resource lacks %s: %v", attr, app.Resource)
		}
		if _, ok := task.Resource[attr]; level == "task" && !ok {
			t.Errorf("task resource lacks %s: %v", attr, task.Resource)
		}
	}
	for k, v := range map[string]string{"aws.ecs.cluster.name": "shop-prod", "aws.ecs.task.version": "42", "aws.ecs.task.launch_type": "FARGATE",
		"container.image.name": "public.ecr.aws/acme/storefront", "container.image.tag": "1.42.0"} {
		if app.Resource[k] != v {
			t.Errorf("container resource %s = %q, want %q", k, app.Resource[k], v)
		}
	}
	// The task's values: its own limits where it sets them, else the sum
	// of its containers'.
	if v, ok := point(metricNamed(t, metrics, "ecs.task.memory.reserved"), nil); !ok || v != 1024 {
		t.Errorf("ecs.task.memory.reserved = %v MiB, want the task's 1024", v)
	}
	if v, ok := point(metricNamed(t, metrics, "ecs.task.cpu.reserved"), nil); !ok || v != 1024 {
		t.Errorf("ecs.task.cpu.reserved = %v CPU units, want the task's 1024", v)
	}
	// The first export's: one value per container.
	var sum float64
	counted := map[string]bool{}
	for _, m := range metrics {
		if c := m.Resource["container.name"]; m.Name == "container.memory.usage" && !counted[c] {
			counted[c] = true
			sum += mustPoint(m)
		}
	}
	// Rates from two readings 25 seconds apart: the app's share of half a
	// vCPU, and the task's interface bytes per second.
	vcpu := metrics[slices.IndexFunc(metrics, func(m otelcoltest.Metric) bool {
		return m.Name == "container.cpu.usage.vcpu" && m.Resource["container.name"] == "app"
	})]
	if v := mustPoint(vcpu); v <= 0 || v > 0.5 {
		t.Errorf("app vCPUs %v", v)
	}
	if v := mustPoint(metricNamed(t, metrics, "ecs.task.network.rate.rx")); v <= 0 {
		t.Errorf("task rx bytes/s %v", v)
	}
	if v, u := mustPoint(metricNamed(t, metrics, "ecs.task.cpu.utilized")), mustPoint(metricNamed(t, metrics, "ecs.task.cpu.usage.vcpu")); math.Abs(v-u*1024) > 0.01 || v <= 0 {
		t.Errorf("task cpu.utilized %v CPU units for %v vCPUs", v, u)
	}
	if v, _ := point(task, nil); v != sum || v == 0 {
		t.Errorf("ecs.task.memory.usage = %v, containers sum to %v", v, sum)
	}
	// awsvpc: every container reports the task's interface, as the
	// receiver's do; the task's own is counted once, where the receiver
	// adds up its containers' copies.
	rx := metricOf(t, metrics, "container.network.io.usage.rx_bytes", map[string]string{"container.name": "app"})
	taskRx := metricNamed(t, metrics, "ecs.task.network.io.usage.rx_bytes")
	if a, _ := point(rx, nil); a == 0 || a != mustPoint(taskRx) {
		t.Errorf("app rx %v, task rx %v", a, mustPoint(taskRx))
	}
}

// TestResourceFromEnvironment: OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES reach every resource the Collector receives, in
// sidecar mode (the task's and each container's) and standalone.
func TestResourceFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "x")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod")
	col := otelcoltest.Start(t)
	for _, standalone := range []bool{false, true} {
		metrics, logs := run(t, col, ProtocolHTTP, standalone)
		resources := 0
		check := func(what string, res map[string]string) {
			resources++
			if res["service.name"] != "x" || res["deployment.environment.name"] != "prod" || res["service.version"] != "test" {
				t.Errorf("standalone=%v %s resource: %v", standalone, what, res)
			}
		}
		for _, m := range metrics {
			check(m.Name, m.Resource)
		}
		for _, l := range logs {
			check(l.EventName, l.Resource)
		}
		if resources == 0 {
			t.Error("nothing received")
		}
	}
}

func mustPoint(m otelcoltest.Metric) float64 {
	v, _ := point(m, nil)
	return v
}

// TestReadmeADOTTable keeps README's receiver-compatible table generated
// from catalog.ADOT.
func TestReadmeADOTTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Catalogue metric | Container metric | Task metric | Unit | Kind |\n|---|---|---|---|---|\n")
	for _, name := range slices.Sorted(maps.Keys(catalog.ADOT)) {
		m := catalog.ADOT[name]
		container := "`" + catalog.ADOTContainerPrefix + m.Suffix + "`"
		task := "`" + catalog.ADOTTaskPrefix + m.Suffix + "` (sum of the containers')"
		for other, o := range catalog.ADOT {
			if other != name && o.TaskOnly && o.Suffix == m.Suffix {
				task = "`" + catalog.ADOTTaskPrefix + m.Suffix + "` (the task's own, else the sum of the containers')"
			}
		}
		if m.TaskOnly {
			container, task = "—", "`"+catalog.ADOTTaskPrefix+m.Suffix+"` (the task's own)"
		}
		kind := "gauge"
		if m.Sum {
			kind = "cumulative sum, not monotonic"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", name, container, task, m.Unit, kind)
	}
	for _, m := range adotRateMetrics {
		fmt.Fprintf(&b, "| (derived: a rate) | `%s` | `%s` | `%s` | gauge |\n", catalog.ADOTContainerPrefix+m.Suffix, catalog.ADOTTaskPrefix+m.Suffix, m.Unit)
	}
	testutil.ReadmeSection(t, "../../README.md", "<!-- otlp-adot:begin (generated by go test ./exporters/otlp -update) -->\n", "<!-- otlp-adot:end -->\n", b.String())
}

// TestStandaloneResourceFromECSDetector: a standalone ecswatch running on
// ECS is described by the contrib ECS detector: its own task and container.
func TestStandaloneResourceFromECSDetector(t *testing.T) {
	meta := httptest.NewServer(sim.NewTaskSim(sim.EC2, nil).Handler())
	defer meta.Close()
	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", meta.URL)
	col := otelcoltest.Start(t)
	metrics, _ := run(t, col, ProtocolGRPC, true)
	stuck := metricNamed(t, metrics, "aws.ecs.deployment.stuck")
	res := stuck.Resource
	if !strings.Contains(res["aws.ecs.task.arn"], ":task/billing-prod/") || !strings.HasSuffix(res["aws.ecs.cluster.arn"], ":cluster/billing-prod") ||
		res["aws.ecs.launchtype"] != "ec2" || res["aws.ecs.container.arn"] == "" || res["cloud.region"] != "eu-west-1" || res["container.name"] != "" {
		t.Errorf("standalone resource on ECS: %v", res)
	}
}
