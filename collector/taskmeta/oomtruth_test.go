package taskmeta

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// ctr is one container in one poll of /task, in the shape the ECS agent
// reports it.
type ctr struct {
	name, desired, known string
	exit                 int    // -1: none
	started, finished    string // hh:mm:ss on the test day; finished with exit
	restarts             int    // -1: not reported (no restart policy)
}

// truthPoll is one answer of /task.
type truthPoll struct {
	taskDesired string
	containers  []ctr
}

func running(name, started string) ctr {
	return ctr{name: name, desired: "RUNNING", known: "RUNNING", exit: -1, started: started, restarts: -1}
}

func exited(name, desired string, code int, started, finished string) ctr {
	return ctr{name: name, desired: desired, known: "STOPPED", exit: code, started: started, finished: finished, restarts: -1}
}

// TestOOMTruthTable scores the sidecar's exit-137 rule against the cases
// operators live through; README's "OOM kills: what each mode can tell"
// shows the same table with the standalone mode's results
// (collector/rules TestOOMTruthTableStandalone). want is what the sidecar
// counts; where it differs from the truth, the case is one the metadata
// endpoint cannot tell, and README says so.
func TestOOMTruthTable(t *testing.T) {
	t.Parallel()
	sidecar := running("ecswatch", "09:59:50")
	stopping := func(c ctr) ctr { c.desired = "STOPPED"; return c }
	tests := []struct {
		name  string
		polls []truthPoll
		truth map[string]uint64
		want  map[string]uint64
	}{
		{
			name: "essential container OOM-killed, task stopped",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{exited("app", "RUNNING", 137, "10:00:00", "10:01:00"), stopping(sidecar)}},
			},
			truth: map[string]uint64{"app": 1}, want: map[string]uint64{"app": 1},
		},
		{
			name: "essential container OOM-killed; a second container ignores SIGTERM and is SIGKILLed after stopTimeout",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), running("worker", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{exited("app", "RUNNING", 137, "10:00:00", "10:01:00"), stopping(running("worker", "10:00:00")), stopping(sidecar)}},
				{"STOPPED", []ctr{exited("app", "RUNNING", 137, "10:00:00", "10:01:00"), exited("worker", "STOPPED", 137, "10:00:00", "10:01:30"), stopping(sidecar)}},
			},
			truth: map[string]uint64{"app": 1, "worker": 0}, want: map[string]uint64{"app": 1, "worker": 0},
		},
		{
			name: "deployment stops the task, the app ignores SIGTERM and is SIGKILLed after stopTimeout, the app dependsOn the sidecar",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{stopping(running("app", "10:00:00")), sidecar}},
				{"STOPPED", []ctr{exited("app", "STOPPED", 137, "10:00:00", "10:01:30"), sidecar}},
			},
			truth: map[string]uint64{"app": 0}, want: map[string]uint64{"app": 0},
		},
		{
			name: "deployment stops the task; the same SIGKILL seen only after it, a worker having honoured SIGTERM first",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), running("worker", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{exited("app", "STOPPED", 137, "10:00:00", "10:01:30"), exited("worker", "STOPPED", 143, "10:00:00", "10:01:01"), stopping(sidecar)}},
			},
			truth: map[string]uint64{"app": 0}, want: map[string]uint64{"app": 0},
		},
		{
			name: "a worker process OOM-killed, the container's main process exits 1",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{exited("app", "RUNNING", 1, "10:00:00", "10:01:00"), stopping(sidecar)}},
			},
			// Invisible to the metadata endpoint: no exit 137, and Docker
			// stats carry no OOM counter.
			truth: map[string]uint64{"app": 1}, want: map[string]uint64{"app": 0},
		},
		{
			name: "container restarted in place by a restart policy after an OOM kill, between two polls",
			polls: []truthPoll{
				{"RUNNING", []ctr{{name: "app", desired: "RUNNING", known: "RUNNING", exit: -1, started: "10:00:00", restarts: 0}, sidecar}},
				{"RUNNING", []ctr{{name: "app", desired: "RUNNING", known: "RUNNING", exit: 137, started: "10:01:05", finished: "10:01:00", restarts: 1}, sidecar}},
			},
			truth: map[string]uint64{"app": 1}, want: map[string]uint64{"app": 1},
		},
		{
			name: "a manual kill -9 or a JVM -XX:OnOutOfMemoryError=\"kill -9 %p\" (exit 137, no cgroup OOM)",
			polls: []truthPoll{
				{"RUNNING", []ctr{running("app", "10:00:00"), sidecar}},
				{"STOPPED", []ctr{exited("app", "RUNNING", 137, "10:00:00", "10:01:00"), stopping(sidecar)}},
			},
			// Indistinguishable from the first case through the metadata
			// endpoint; only ECS's stop reason tells them apart.
			truth: map[string]uint64{"app": 0}, want: map[string]uint64{"app": 1},
		},
		{
			name: "the sidecar restarts after the app was OOM-killed and restarted in place",
			polls: []truthPoll{
				{"RUNNING", []ctr{{name: "app", desired: "RUNNING", known: "RUNNING", exit: 137, started: "10:01:05", finished: "10:01:00", restarts: 1}, sidecar}},
			},
			// The kill happened before this process; the one before it
			// counted it, and counting it again would double it.
			truth: map[string]uint64{"app": 0}, want: map[string]uint64{"app": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := replayPolls(t, tt.polls)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s: sidecar counts %d OOM kills, want %d (truth %d)", name, got[name], want, tt.truth[name])
				}
			}
		})
	}
}

// replayPolls serves polls to a collector one by one and returns each
// container's OOM kill count after the last.
func replayPolls(t *testing.T, polls []truthPoll) map[string]uint64 {
	t.Helper()
	var mu sync.Mutex
	i := 0
	at := func(clock string) string { return "2026-03-02T" + clock + "Z" }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p := polls[min(i, len(polls)-1)]
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/stats") {
			_, _ = w.Write([]byte(`{}`))
			return
		}
		var cs []any
		for _, c := range p.containers {
			m := map[string]any{"Name": c.name, "DockerId": "d-" + c.name, "Type": "NORMAL", "DesiredStatus": c.desired,
				"KnownStatus": c.known, "StartedAt": at(c.started)}
			if c.exit >= 0 {
				m["ExitCode"], m["FinishedAt"] = c.exit, at(c.finished)
			}
			if c.restarts >= 0 {
				m["RestartCount"] = c.restarts
			}
			cs = append(cs, m)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/t1", "DesiredStatus": p.taskDesired, "Containers": cs})
	}))
	defer srv.Close()
	store := collector.NewStore(nil)
	c := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler))
	for range polls {
		if err := c.Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		i++
		mu.Unlock()
	}
	got := map[string]uint64{}
	for _, ct := range store.Snapshot().Tasks[0].Containers {
		got[ct.Name] = ct.OOMKills
	}
	return got
}
