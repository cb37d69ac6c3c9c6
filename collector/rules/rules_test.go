package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

func TestPlacementFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		message, reason string
		ok              bool
	}{
		{"(service checkout) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0a1b) has insufficient memory available. For more information, see the Troubleshooting section.", "insufficient_memory", true},
		{"(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0a1b) has insufficient CPU units available.", "insufficient_cpu", true},
		{"(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0a1b) is already using a port required by your task.", "port_in_use", true},
		{`(service api) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0a1b) encountered error "AGENT".`, "agent_disconnected", true},
		{"(service api) was unable to place a task because no container instance met all of its requirements.", "no_matching_instance", true},
		{"(service api) was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently", "account_limit", true},
		{"(service api) was unable to place a task. Reason: The requested CPU configuration is above your limit.", "account_limit", true},
		{"(service api) was unable to place a task. Reason: Capacity is unavailable at this time. Please try again later or in a different availability zone", "capacity_unavailable", true},
		{"(service api) was unable to place a task. Reason: Internal error.", "internal_error", true},
		{"(service api) was unable to place a task. Reason: something new.", "other", true},
		{"(service api) has reached a steady state.", "", false},
		{"(service api) has started 2 tasks: (task 1) (task 2).", "", false},
	}
	for _, tt := range tests {
		reason, ok := ecsvocab.PlacementFailure(tt.message)
		if reason != tt.reason || ok != tt.ok {
			t.Errorf("PlacementFailure(%q) = %q, %v; want %q, %v", tt.message, reason, ok, tt.reason, tt.ok)
		}
	}
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func inProgress(running, failed int, created time.Time) *collector.Service {
	return &collector.Service{Cluster: "c", Name: "api", Desired: 4, MaximumPercent: 200, Deployments: []collector.Deployment{
		{ID: "d2", Status: "PRIMARY", TaskDefinition: "api:2", RolloutState: "IN_PROGRESS", Desired: 4, Running: running, Failed: failed, CreatedAt: created},
		{ID: "d1", Status: "ACTIVE", TaskDefinition: "api:1", RolloutState: "COMPLETED", Desired: 4, Running: 4, CreatedAt: created.Add(-time.Hour)},
	}}
}

// TestStuckRule walks each branch of the stuck rule.
func TestStuckRule(t *testing.T) {
	t.Parallel()
	opts := Options{StuckAfter: 30 * time.Minute, ProgressWindow: 10 * time.Minute}
	created := t0.Add(-20 * time.Minute)
	type obs struct {
		at      time.Duration // after t0
		running int
		failed  int
		want    collector.StuckReason
	}
	tests := []struct {
		name string
		obs  []obs
	}{
		{"young deployment is never stuck", []obs{{0, 1, 5, ""}, {9 * time.Minute, 1, 5, ""}}},
		{"failing tasks past the threshold", []obs{{0, 1, 0, ""}, {11 * time.Minute, 1, 3, collector.StuckFailingTasks}}},
		{"no progress for the window past the threshold", []obs{
			{0, 1, 0, ""}, {11 * time.Minute, 1, 0, collector.StuckNoProgress}}},
		{"progress keeps it unstuck", []obs{
			{0, 1, 0, ""}, {8 * time.Minute, 2, 0, ""}, {15 * time.Minute, 3, 0, ""}, {24 * time.Minute, 3, 0, ""}, {26 * time.Minute, 3, 0, collector.StuckNoProgress}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := NewTracker(opts)
			var stuckEvents int
			for _, o := range tt.obs {
				svc := inProgress(o.running, o.failed, created)
				for _, e := range tr.Service(t0.Add(o.at), svc) {
					if e.Kind == collector.EventDeploymentStuck {
						stuckEvents++
						if e.ID != "d2" || e.Label != string(o.want) {
							t.Errorf("stuck event %+v", e)
						}
					}
				}
				if svc.Health.Stuck != o.want {
					t.Errorf("at +%s: stuck = %q, want %q", o.at, svc.Health.Stuck, o.want)
				}
			}
		})
	}
}

func TestCompletedDeploymentIsNotStuck(t *testing.T) {
	t.Parallel()
	svc := &collector.Service{Name: "api", Deployments: []collector.Deployment{
		{ID: "d1", Status: "PRIMARY", RolloutState: "COMPLETED", Desired: 2, Running: 2, CreatedAt: t0.Add(-72 * time.Hour)}}}
	tr := NewTracker(DefaultOptions)
	for i := range 3 {
		if ev := tr.Service(t0.Add(time.Duration(i)*time.Hour), svc); len(ev) != 0 || svc.Health.Stuck != "" {
			t.Errorf("events %+v, stuck %q", ev, svc.Health.Stuck)
		}
	}
}

func TestStoppedTask(t *testing.T) {
	t.Parallel()
	code := 137
	evs := StoppedTask(StoppedTaskInfo{
		ARN: "arn:aws:ecs:eu-west-1:1:task/c/t1", Cluster: "c", Service: "api", Family: "api",
		StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
		Containers: []StoppedContainer{
			{Name: "app", ExitCode: &code, Reason: "OutOfMemoryError: Container killed due to memory usage"},
			{Name: "envoy", Reason: ""},
		},
	})
	if len(evs) != 3 || evs[0].Kind != collector.EventTaskStopped || evs[0].Label != "EssentialContainerExited" ||
		evs[1].Kind != collector.EventTaskStopReason || evs[1].Label != "oom" || evs[1].ID != "arn:aws:ecs:eu-west-1:1:task/c/t1" ||
		evs[1].Message != "Essential container in task exited [stopCode EssentialContainerExited]; container app (oom) exit code 137: OutOfMemoryError: Container killed due to memory usage" ||
		evs[2].Kind != collector.EventOOMKill || evs[2].ID != "arn:aws:ecs:eu-west-1:1:task/c/t1/app" || evs[2].Container != "app" {
		t.Errorf("events = %+v", evs)
	}
	if evs := StoppedTask(StoppedTaskInfo{ARN: "x"}); evs[0].Label != "Unknown" {
		t.Errorf("missing stop code labelled %q", evs[0].Label)
	}
}

// TestReadmeDocumentsRules keeps README's "Deployment health rules" in step
// with the code: every threshold default, reason, placement reason, failure
// cause, controller, strategy and service deployment status.
func TestReadmeDocumentsRules(t *testing.T) {
	t.Parallel()
	readme := testutil.ReadFile(t, "../../README.md")
	text := string(readme)
	i := strings.Index(text, "### Deployment health rules")
	if i < 0 {
		t.Fatal("README has no Deployment health rules section")
	}
	section := strings.Join(strings.Fields(text[i:]), " ")
	want := []string{
		"`stuck_after` (" + model.Duration(DefaultOptions.StuckAfter).String() + ")",
		"`progress_window` (" + model.Duration(DefaultOptions.ProgressWindow).String() + ")",
		"OutOfMemoryError", "`FAILED`", "`BAKE_TIME`", "`AWAITING_ACTION`", "`STABILIZING`",
		"`PRODUCTION_TRAFFIC_SHIFT`", "`" + ecsvocab.SDRollbackFailed + "`", "`" + ecsvocab.MonitorTriggered + "`",
	}
	for _, vs := range [][]string{ecsvocab.FailureCauses, ecsvocab.Controllers, ecsvocab.Strategies[:len(ecsvocab.Strategies)-1], ecsvocab.ServiceDeploymentStatuses} {
		for _, v := range vs {
			want = append(want, "`"+v+"`")
		}
	}
	for _, r := range collector.StuckReasons {
		want = append(want, "`"+string(r)+"`")
	}
	for _, r := range ecsvocab.PlacementReasons() {
		want = append(want, "`"+r+"`")
	}
	for _, w := range want {
		if !strings.Contains(section, w) {
			t.Errorf("README's health rules do not mention %q", w)
		}
	}
}

// TestOOMTruthTableStandalone scores the standalone mode (DescribeTasks, and
// ECS Task State Change events, which share StoppedTask) against the truth
// table that collector/taskmeta TestOOMTruthTable scores the sidecar on.
// The shapes are DescribeTasks' for each case.
func TestOOMTruthTableStandalone(t *testing.T) {
	t.Parallel()
	code := func(c int) *int { return &c }
	const oomReason = "OutOfMemoryError: Container killed due to memory usage"
	tests := []struct {
		name         string
		task         StoppedTaskInfo
		truth, want  uint64
		invisibility string // why the mode cannot see it, where want != truth
	}{
		{name: "essential container OOM-killed, task stopped", truth: 1, want: 1, task: StoppedTaskInfo{
			StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []StoppedContainer{{Name: "app", ExitCode: code(137), Reason: oomReason}, {Name: "ecswatch", ExitCode: code(0)}}}},
		{name: "deployment stops the task, the app ignores SIGTERM and is SIGKILLed after stopTimeout", truth: 0, want: 0, task: StoppedTaskInfo{
			StopCode: "ServiceSchedulerInitiated", StoppedReason: "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
			Containers: []StoppedContainer{{Name: "app", ExitCode: code(137)}, {Name: "ecswatch", ExitCode: code(0)}}}},
		{name: "a worker process OOM-killed, the container's main process exits 1", truth: 1, want: 1, task: StoppedTaskInfo{
			StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []StoppedContainer{{Name: "app", ExitCode: code(1), Reason: oomReason}}}},
		{name: "container restarted in place by a restart policy after an OOM kill", truth: 1, want: 0,
			invisibility: "the task never stops and DescribeTasks has no restart count"},
		{name: "a manual kill -9 or a JVM -XX:OnOutOfMemoryError=\"kill -9 %p\"", truth: 0, want: 0, task: StoppedTaskInfo{
			StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
			Containers: []StoppedContainer{{Name: "app", ExitCode: code(137)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.task.ARN, tt.task.Cluster, tt.task.Service, tt.task.Family = "arn:aws:ecs:eu-west-1:1:task/c/t1", "c", "api", "api"
			var got uint64
			if tt.task.StopCode != "" {
				for _, ev := range StoppedTask(tt.task) {
					if ev.Kind == collector.EventOOMKill {
						got++
					}
				}
			}
			if got != tt.want {
				t.Errorf("standalone counts %d OOM kills, want %d (truth %d)", got, tt.want, tt.truth)
			}
			if (got != tt.truth) != (tt.invisibility != "") {
				t.Errorf("a case the mode gets wrong must say why, and only such a case: %q", tt.invisibility)
			}
		})
	}
}
