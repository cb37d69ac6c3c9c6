package datadog

import (
	"context"
	"encoding/csv"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testpipeline"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// agentNotSent is what each Agent check sends that ecswatch cannot, and why.
var agentNotSent = map[string]string{
	"ecs.fargate.io.ops.read":                   "ecswatch keeps bytes, not block I/O operations",
	"ecs.fargate.io.ops.write":                  "ecswatch keeps bytes, not block I/O operations",
	"ecs.fargate.cpu.user":                      "ecswatch keeps total CPU time only",
	"ecs.fargate.cpu.system":                    "ecswatch keeps total CPU time only",
	"ecs.fargate.mem.active_file":               "cgroup v1 memory breakdown not kept",
	"ecs.fargate.mem.inactive_file":             "cgroup v1 memory breakdown not kept (used for the working set)",
	"ecs.fargate.mem.active_anon":               "cgroup v1 memory breakdown not kept",
	"ecs.fargate.mem.rss":                       "cgroup v1 memory breakdown not kept",
	"ecs.fargate.mem.mapped_file":               "cgroup v1 memory breakdown not kept",
	"ecs.fargate.mem.pgpgin":                    "cgroup paging counters not kept",
	"ecs.fargate.mem.pgpgout":                   "cgroup paging counters not kept",
	"ecs.fargate.mem.pgfault":                   "cgroup paging counters not kept",
	"ecs.fargate.mem.pgmajfault":                "cgroup paging counters not kept",
	"ecs.fargate.mem.max_usage":                 "cgroup v1 only; not kept",
	"ecs.fargate.mem.hierarchical_memory_limit": "cgroup v1 only; ecs.fargate.mem.limit is the effective limit",
	"ecs.fargate.mem.hierarchical_memsw_limit":  "cgroup v1 only; swap is not kept",

	"container.uptime":                   "container start times are not kept",
	"container.cpu.user":                 "ecswatch keeps total CPU time only",
	"container.cpu.system":               "ecswatch keeps total CPU time only",
	"container.cpu.throttled.periods":    "throttled time is kept, not periods",
	"container.memory.usage.peak":        "not in cgroup v2 stats",
	"container.memory.kernel":            "not kept",
	"container.memory.soft_limit":        "ECS memoryReservation is ecswatch.container.memory.reservation",
	"container.memory.rss":               "not kept",
	"container.memory.swap":              "not kept",
	"container.memory.oom_events":        "a cgroup counter Docker stats do not carry on cgroup v2; ecswatch.container.oom_kills counts kills",
	"container.memory.commit":            "Windows only",
	"container.memory.commit.peak":       "Windows only",
	"container.memory.page_faults":       "not kept",
	"container.memory.major_page_faults": "not kept",
	"container.io.read.operations":       "ecswatch keeps bytes, not block I/O operations",
	"container.io.write.operations":      "ecswatch keeps bytes, not block I/O operations",
	"container.pid.thread_count":         "published as a rate; ecswatch.container.pids is the gauge",
	"container.pid.thread_limit":         "not in the metadata endpoint's stats",
	"container.pid.open_files":           "not in the metadata endpoint's stats",
}

// agentMetric is one row of a check's metadata.csv.
type agentMetric struct{ typ, unit string }

func readAgentMetrics(t *testing.T, path string) map[string]agentMetric {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(testutil.ReadFile(t, path)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]agentMetric{}
	for _, r := range rows[1:] {
		out[r[0]] = agentMetric{typ: r[1], unit: r[3]}
	}
	return out
}

func readAgentTags(t *testing.T) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(testutil.ReadFile(t, "testdata/agent/tags.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		out[r[0]] = r[1]
	}
	return out
}

// demoPushes runs the demo's sidecar on platform v through an exporter in
// naming and cardinality, and returns the metrics of a push at each time
// into the demo.
func demoPushes(t *testing.T, v sim.Variant, naming, cardinality string, at ...time.Duration) [][]metric {
	t.Helper()
	ag, addr := testutil.ListenDogStatsD(t, "udp", "127.0.0.1:0")
	p, err := testpipeline.NewVariant(t.Context(), v, false)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	exp, err := New(p.Store, p.Store.Subscribe(Name, 64), slog.New(slog.DiscardHandler), Options{
		Address: addr, Namespace: "ecswatch.", PushInterval: time.Hour, Naming: naming, TagCardinality: cardinality,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	var out [][]metric
	for _, a := range at {
		if err := p.At(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		exp.Push()
		ms, _, _ := parse(ag.Take())
		out = append(out, ms)
	}
	return out
}

// agentPushes runs the demo's sidecar on platform v in Agent-compatible
// mode and returns the metrics of three pushes: at the start (baseline),
// 25 seconds in, and again with nothing changed.
func agentPushes(t *testing.T, v sim.Variant, cardinality string) [][]metric {
	t.Helper()
	return demoPushes(t, v, NamingAgent, cardinality, 0, 25*time.Second, 25*time.Second)
}

// TestAgentCompatibleNames captures the demo's DogStatsD datagrams in
// Agent-compatible mode, on Fargate and on EC2, and holds every metric name,
// type and tag key to the Agent checks' published lists
// (testdata/agent/): the ecs_fargate check's on Fargate, the container
// check's on EC2. What a check sends that ecswatch cannot is listed, with
// why, in agentNotSent.
func TestAgentCompatibleNames(t *testing.T) {
	t.Setenv("DD_ENV", "prod")
	t.Setenv("DD_SERVICE", "shop")
	t.Setenv("DD_VERSION", "1.2.3")
	t.Setenv("DD_TAGS", "team:payments costcenter:42")
	tagLevels := readAgentTags(t)
	for _, tc := range []struct {
		name    string
		variant sim.Variant
		fixture string
		cluster string
		want    []string // metrics that must be sent by 25s
	}{
		{"fargate", sim.Fargate, "testdata/agent/ecs_fargate.csv", "shop-prod", []string{"ecs.fargate.cpu.usage", "ecs.fargate.mem.usage", "ecs.fargate.net.bytes_rcvd", "ecs.fargate.mem.task.limit"}},
		{"ec2", sim.EC2, "testdata/agent/container.csv", "billing-prod", []string{"container.cpu.usage", "container.memory.working_set", "container.net.rcvd", "container.memory.limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			published := readAgentMetrics(t, tc.fixture)
			pushes := agentPushes(t, tc.variant, CardinalityLow)
			seen := map[string]bool{}
			for _, ms := range pushes {
				for _, m := range ms {
					if strings.HasPrefix(m.name, "ecswatch.") {
						continue // ecswatch's own signals keep their names
					}
					seen[m.name] = true
					pub, ok := published[m.name]
					if !ok {
						t.Errorf("%s is not a metric the check publishes", m.name)
						continue
					}
					wantType := map[string]string{"rate": "c", "count": "c", "gauge": "g"}[pub.typ]
					if m.typ != wantType {
						t.Errorf("%s sent as %q, the check's %s wants %q", m.name, m.typ, pub.typ, wantType)
					}
					for _, tag := range m.tags {
						key, _, _ := strings.Cut(tag, ":")
						switch level, ok := tagLevels[key]; {
						case key == "team" || key == "costcenter":
							// The user's own, from DD_TAGS.
						case !ok:
							t.Errorf("%s: tag %q is not one the Agent sends", m.name, tag)
						case level != CardinalityLow:
							t.Errorf("%s: %s-cardinality tag %q at low cardinality", m.name, level, tag)
						}
					}
					for _, want := range []string{"env:prod", "service:shop", "version:1.2.3", "team:payments", "costcenter:42", "ecs_cluster_name:" + tc.cluster, "cluster_name:" + tc.cluster} {
						if !slices.Contains(m.tags, want) {
							t.Errorf("%s lacks %s: %v", m.name, want, m.tags)
						}
					}
				}
			}
			for name := range published {
				reason, listed := agentNotSent[name]
				switch {
				case seen[name] && listed:
					t.Errorf("%s is sent but listed as not sent (%s)", name, reason)
				case !seen[name] && !listed:
					t.Errorf("%s is published by the check but neither sent nor listed in agentNotSent", name)
				}
			}
			for _, name := range tc.want {
				if got := find(pushes[1], name, "ecs_container_name:app"); len(got) == 0 && len(find(pushes[1], name)) == 0 {
					t.Errorf("no %s at 25s", name)
				}
			}
			if tc.variant == sim.Fargate {
				// Derived from two of ecswatch's own readings, from the
				// second push on.
				got := find(pushes[1], AgentCPUPercent, "ecs_container_name:app")
				if len(got) != 1 || got[0].value == "0" || len(find(pushes[0], AgentCPUPercent)) != 0 {
					t.Errorf("app CPU percent: %+v", got)
				} else if v, err := strconv.ParseFloat(got[0].value, 64); err != nil || v <= 0 || v > 100 {
					t.Errorf("app CPU percent %s: want 0-100 (the app's share is half a vCPU)", got[0].value)
				}
			}
			// A quiet counter is still sent: as a count of 0.
			for _, m := range pushes[2] {
				if m.typ == "c" && m.name == "ecswatch.container.restarts" && m.value != "0" {
					t.Errorf("restarts without a restart: %+v", m)
				}
			}
			if len(find(pushes[2], "ecswatch.container.restarts", "ecs_container_name:app")) != 1 {
				t.Error("the quiet restarts counter was not sent as 0")
			}
		})
	}
}

// TestAgentCardinality: task_arn joins at orchestrator cardinality, the
// container ID at high, as DD_CHECKS_TAG_CARDINALITY does for the Agent.
func TestAgentCardinality(t *testing.T) {
	for _, tc := range []struct {
		cardinality string
		want, not   []string
	}{
		{CardinalityLow, nil, []string{"task_arn", "container_id"}},
		{CardinalityOrchestrator, []string{"task_arn"}, []string{"container_id"}},
		{CardinalityHigh, []string{"task_arn", "container_id"}, nil},
	} {
		t.Run(tc.cardinality, func(t *testing.T) {
			ms := agentPushes(t, sim.Fargate, tc.cardinality)[1]
			got := find(ms, "ecs.fargate.mem.usage", "ecs_container_name:app")
			if len(got) != 1 {
				t.Fatalf("app memory: %+v", got)
			}
			keys := map[string]bool{}
			for _, tag := range got[0].tags {
				k, _, _ := strings.Cut(tag, ":")
				keys[k] = true
			}
			for _, k := range tc.want {
				if !keys[k] {
					t.Errorf("no %s tag: %v", k, got[0].tags)
				}
			}
			for _, k := range tc.not {
				if keys[k] {
					t.Errorf("%s tag at %s cardinality: %v", k, tc.cardinality, got[0].tags)
				}
			}
		})
	}
}

func TestResolveEnv(t *testing.T) {
	env := map[string]string{"DD_TAGS": "a:1 b:2,c:3", "DD_CHECKS_TAG_CARDINALITY": "orchestrator"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	o := resolveEnv(Options{Tags: []string{"x:y"}}, lookup)
	if !slices.Equal(o.Tags, []string{"x:y", "a:1", "b:2", "c:3"}) || o.TagCardinality != CardinalityOrchestrator {
		t.Errorf("resolved %+v", o)
	}
	if o := resolveEnv(Options{TagCardinality: CardinalityHigh}, lookup); o.TagCardinality != CardinalityHigh {
		t.Errorf("the option lost to the environment: %+v", o)
	}
	if o := resolveEnv(Options{}, func(string) (string, bool) { return "", false }); o.TagCardinality != CardinalityLow {
		t.Errorf("default cardinality %q", o.TagCardinality)
	}
	_ = os.Getenv
}
