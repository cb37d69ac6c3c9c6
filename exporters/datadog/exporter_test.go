package datadog

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/testpipeline"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// metric is one parsed DogStatsD metric line.
type metric struct {
	name, value, typ string
	tags             []string
}

func parse(lines []string) (metrics []metric, events, checks []string) {
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "_e{"):
			events = append(events, l)
		case strings.HasPrefix(l, "_sc|"):
			checks = append(checks, l)
		default:
			nameValue, rest, _ := strings.Cut(l, "|")
			name, value, _ := strings.Cut(nameValue, ":")
			typ, tagPart, _ := strings.Cut(rest, "|#")
			typ, _, _ = strings.Cut(typ, "|")
			m := metric{name: name, value: value, typ: typ}
			if tagPart != "" {
				tagPart, _, _ = strings.Cut(tagPart, "|")
				m.tags = strings.Split(tagPart, ",")
			}
			metrics = append(metrics, m)
		}
	}
	return
}

// find returns the metrics called name that carry every tag in tags.
func find(ms []metric, name string, tags ...string) []metric {
	var out []metric
	for _, m := range ms {
		if m.name == name && !slices.ContainsFunc(tags, func(t string) bool { return !slices.Contains(m.tags, t) }) {
			out = append(out, m)
		}
	}
	return out
}

func newPipeline(t *testing.T, address string) (*testpipeline.Pipeline, *Exporter) {
	t.Helper()
	p, err := testpipeline.New(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	exp, err := New(p.Store, p.Store.Subscribe(Name, 64), slog.New(slog.DiscardHandler), Options{
		Address: address, Namespace: "ecswatch.", Tags: []string{"env:test"}, PushInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { exp.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = exp.Shutdown(context.Background()) })
	return p, exp
}

// TestDemoScenario pushes the demo scenario at its start and 25 seconds in,
// and checks the datagrams a Datadog Agent receives.
func TestDemoScenario(t *testing.T) {
	ag, addr := testutil.ListenDogStatsD(t, "udp", "127.0.0.1:0")
	p, exp := newPipeline(t, addr)
	if err := p.At(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let Run pass the events on
	exp.Push()
	ms, events, checks := parse(ag.Take())

	app := []string{"ecs_cluster_name:shop-prod", "task_family:storefront", "task_version:42", "container_name:app",
		"task_arn:arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b",
		"availability-zone:eu-west-1a", "image_name:public.ecr.aws/acme/storefront", "short_image:storefront", "image_tag:1.42.0", "env:test"}
	if got := find(ms, "ecswatch.container.memory.working_set", app...); len(got) != 1 || got[0].typ != "g" {
		t.Errorf("working set gauge with the Agent's tags: %+v", got)
	}
	if got := find(ms, "ecswatch.task.cpu.limit", "task_family:storefront"); len(got) != 1 || got[0].value != "1" {
		t.Errorf("task CPU limit: %+v", got)
	}
	if got := find(ms, "ecswatch.deployment.stuck", "ecs_cluster_name:shop-prod", "ecs_service:checkout", "reason:placement_failure"); len(got) != 1 || got[0].value != "1" {
		t.Errorf("stuck gauge: %+v", got)
	}
	if got := find(ms, "ecswatch.net.bytes_rcvd"); len(got) != 0 {
		t.Errorf("counters sent on the first push, which only sets the baseline: %+v", got)
	}
	for _, c := range checks {
		if strings.Contains(c, "ecs_service:catalog") && !strings.HasPrefix(c, "_sc|ecswatch.deployment|0|") {
			t.Errorf("catalog service check not OK: %s", c)
		}
	}
	if !slices.ContainsFunc(checks, func(c string) bool {
		return strings.HasPrefix(c, "_sc|ecswatch.deployment|1|") && strings.Contains(c, "ecs_service:checkout") && strings.Contains(c, "m:deployment stuck: placement_failure")
	}) {
		t.Errorf("no WARNING check for the stuck checkout deployment: %q", checks)
	}

	// 25s in: the worker was OOM-killed (sidecar at 20s, standalone task at
	// 15s) and the circuit breaker failed the payments deployment at 20s.
	if err := p.At(t.Context(), 25*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let Run pass the events on
	exp.Push()
	ms, later, checks := parse(ag.Take())
	events = append(events, later...)
	counts := map[string]string{}
	for _, m := range ms {
		if m.typ == "c" {
			counts[m.name+" "+strings.Join(slices.DeleteFunc(slices.Clone(m.tags), func(t string) bool {
				return !strings.HasPrefix(t, "ecs_service:") && !strings.HasPrefix(t, "container_name:") && !strings.HasPrefix(t, "stop_code:") && !strings.HasPrefix(t, "task_family:") && !strings.HasPrefix(t, "cause:")
			}), ",")] = m.value
		}
	}
	for key, want := range map[string]string{
		"ecswatch.container.oom_kills ecs_service:worker,task_family:worker,container_name:worker": "1", // standalone
		"ecswatch.container.oom_kills task_family:storefront,container_name:worker":                "1", // sidecar
		"ecswatch.task.stopped ecs_service:worker,stop_code:EssentialContainerExited":              "1",
		"ecswatch.deployment.failures ecs_service:payments,cause:circuit_breaker":                  "1",
	} {
		if counts[key] != want {
			t.Errorf("count %q = %q, want %q", key, counts[key], want)
		}
	}
	if _, ok := counts["ecswatch.task.stopped ecs_service:payments,stop_code:TaskFailedToStart"]; ok {
		t.Error("stopped tasks already counted at the baseline were sent again")
	}
	if v := counts["ecswatch.container.cpu.usage task_family:storefront,container_name:app"]; v == "" || v == "0" {
		t.Errorf("CPU usage increase (ns) = %q", v)
	}
	if !slices.ContainsFunc(checks, func(c string) bool {
		return strings.HasPrefix(c, "_sc|ecswatch.deployment|2|") && strings.Contains(c, "ecs_service:payments") && strings.Contains(c, "circuit breaker")
	}) {
		t.Errorf("no CRITICAL check for payments: %q", checks)
	}
	wantEvents := []string{"OOM kill: container worker in worker (shop-prod)", "OOM kill: container worker in storefront (shop-prod)",
		"Deployment failed (circuit_breaker): payments (shop-prod)", "Deployment stuck (placement_failure): checkout (shop-prod)"}
	for _, title := range wantEvents {
		if !slices.ContainsFunc(events, func(e string) bool { return strings.Contains(e, ":"+title+"|") }) {
			t.Errorf("no event %q in %q", title, events)
		}
	}
	for _, e := range events {
		if strings.Contains(e, "OOM kill") && (!strings.Contains(e, "|t:error") || !strings.Contains(e, "|k:ecswatch-oom-") || !strings.Contains(e, "container_name:worker")) {
			t.Errorf("OOM event lacks alert type, aggregation key or tags: %s", e)
		}
	}

	// Nothing changed: every known counter is sent again as a count of 0,
	// so that a monitor on a quiet counter has data.
	exp.Push()
	ms, events, _ = parse(ag.Take())
	for _, m := range ms {
		if m.typ == "c" && m.value != "0" && !strings.HasPrefix(m.name, "ecswatch.self.") && !strings.HasPrefix(m.name, "ecswatch.container.cpu") &&
			!strings.HasPrefix(m.name, "ecswatch.net.") && !strings.HasPrefix(m.name, "ecswatch.container.io") {
			t.Errorf("counter sent again with an increase it did not have: %+v", m)
		}
	}
	if got := find(ms, "ecswatch.deployment.failures", "ecs_service:payments", "cause:circuit_breaker"); len(got) != 1 || got[0].value != "0" {
		t.Errorf("a quiet counter is not sent as 0: %+v", got)
	}
	if len(events) != 0 {
		t.Errorf("events sent twice: %q", events)
	}
}

// TestUnixSocket sends to a Unix datagram socket, as the Agent's
// DD_DOGSTATSD_URL=unix:///var/run/datadog/dsd.socket does.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dsd.socket")
	ag, _ := testutil.ListenDogStatsD(t, "unixgram", path)
	p, exp := newPipeline(t, "unix://"+path)
	if err := p.At(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	exp.Push()
	ms, _, _ := parse(ag.Take())
	if got := find(ms, "ecswatch.service.desired", "ecs_service:catalog"); len(got) != 1 || got[0].value != "3" {
		t.Errorf("over the socket: %+v", got)
	}
}

// TestAbsentAgent: with nothing listening, pushing neither blocks nor fails.
func TestAbsentAgent(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	conn.Close()
	p, exp := newPipeline(t, addr)
	if err := p.At(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		exp.Push()
	}
}

const (
	readmePath = "../../README.md"
	tableBegin = "<!-- datadog:begin (generated by go test ./exporters/datadog -update) -->\n"
	tableEnd   = "<!-- datadog:end -->\n"
)

// TestReadmeTable keeps README's Datadog table generated from the
// catalogue's Datadog column.
func TestReadmeTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Catalogue metric | Datadog metric | Type |\n|---|---|---|\n")
	for _, f := range catalog.Families() {
		m := f.Datadog
		switch {
		case m.Type == catalog.DatadogTags:
			fmt.Fprintf(&b, "| `%s` | — | its labels are tags of the other metrics |\n", f.Name)
		case m.Unit != "":
			fmt.Fprintf(&b, "| `%s` | `ecswatch.%s` | %s (%s) |\n", f.Name, m.Name, m.Type, m.Unit)
		default:
			fmt.Fprintf(&b, "| `%s` | `ecswatch.%s` | %s |\n", f.Name, m.Name, m.Type)
		}
	}
	testutil.ReadmeSection(t, readmePath, tableBegin, tableEnd, b.String())
}

// TestKillBeforeFirstPushIsSent: a short task's sidecar may count a kill
// before its first push, which is also its last. Counters that count only
// what this process saw are sent whole on the first push; counters that
// began before ecswatch (CPU, bytes) only set their baseline.
func TestKillBeforeFirstPushIsSent(t *testing.T) {
	ag, addr := testutil.ListenDogStatsD(t, "udp", "127.0.0.1:0")
	p, exp := newPipeline(t, addr)
	for _, at := range []time.Duration{0, 25 * time.Second} {
		if err := p.At(t.Context(), at); err != nil {
			t.Fatal(err)
		}
	}
	exp.Push()
	ms, _, _ := parse(ag.Take())
	for _, tags := range [][]string{
		{"task_family:storefront", "container_name:worker", "ecswatch_source:sidecar"},
		{"ecs_service:worker", "container_name:worker", "ecswatch_source:standalone"},
	} {
		if got := find(ms, "ecswatch.container.oom_kills", tags...); len(got) != 1 || got[0].typ != "c" || got[0].value != "1" {
			t.Errorf("OOM kill %v on the first push: %+v", tags, got)
		}
	}
	if got := find(ms, "ecswatch.deployment.failures", "ecs_service:payments", "cause:circuit_breaker"); len(got) != 1 || got[0].value != "1" {
		t.Errorf("deployment failure on the first push: %+v", got)
	}
	if got := find(ms, "ecswatch.container.cpu.usage"); len(got) != 0 {
		t.Errorf("CPU seconds sent whole on the first push: %+v", got)
	}
}

// TestEventsAtShutdownAreSent: the events a stopping exporter drains (the
// OOM kill that stopped the task is one) all reach the Agent. With the
// client in channel mode, Close dropped what its workers had not consumed
// yet: most of the time, some of them.
func TestEventsAtShutdownAreSent(t *testing.T) {
	t.Parallel()
	for run := range 10 {
		ag, addr := testutil.ListenDogStatsD(t, "udp", "127.0.0.1:0")
		store := collector.NewStore(nil)
		exp, err := New(store, store.Subscribe(Name, 64), slog.New(slog.DiscardHandler), Options{Address: addr, Namespace: "ecswatch.", PushInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		id := collector.Identity{Cluster: "shop", Service: "api"}
		store.Notify(
			collector.Event{Kind: collector.EventOOMKill, ID: "kill", Identity: id, Container: "app", Time: time.Now()},
			collector.Event{Kind: collector.EventDeploymentFailed, ID: "failed", Identity: id, Time: time.Now()},
			collector.Event{Kind: collector.EventDeploymentStuck, ID: "stuck", Identity: id, Label: "no_progress", Time: time.Now()},
		)
		if err := exp.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, events, _ := parse(ag.Take())
		if len(events) != 3 {
			t.Fatalf("run %d: %d of 3 events reached the Agent: %q", run, len(events), events)
		}
	}
}
