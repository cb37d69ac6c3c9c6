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
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

func worker(t *testing.T, store *collector.Store) collector.Container {
	t.Helper()
	for _, c := range store.Snapshot().Tasks[0].Containers {
		if c.Name == "worker" {
			return c
		}
	}
	t.Fatal("no worker container")
	return collector.Container{}
}

// TestOOMKillsAcrossPolls walks the simulated worker through two OOM kills
// and restarts, polling every 2s, in both cgroup variants: each kill counts
// once however many polls see the stopped container.
func TestOOMKillsAcrossPolls(t *testing.T) {
	t.Parallel()
	for _, v := range []sim.Variant{sim.Fargate, sim.EC2} {
		clock := testutil.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		srv := httptest.NewServer(sim.NewTaskSim(v, clock.Now).Handler())
		defer srv.Close()
		store := collector.NewStore(nil)
		c := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler))

		sch := sim.DefaultSchedule
		checkpoints := []struct {
			at       time.Duration
			oomKills uint64
			restarts uint64
			state    collector.ContainerState
		}{
			{sch.FirstOOM - time.Second, 0, 0, collector.StateRunning},
			{sch.FirstOOM + time.Second, 1, 0, collector.StateStopped},
			{sch.FirstOOM + sch.RestartDelay + time.Second, 1, 1, collector.StateRunning},
			{sch.FirstOOM + sch.Period + time.Second, 2, 1, collector.StateStopped},
			{sch.FirstOOM + sch.Period + sch.RestartDelay + time.Second, 2, 2, collector.StateRunning},
		}
		var elapsed time.Duration
		for _, cp := range checkpoints {
			for ; elapsed <= cp.at; elapsed += 2 * time.Second {
				if err := c.Collect(t.Context()); err != nil {
					t.Fatal(err)
				}
				clock.Advance(2 * time.Second)
			}
			w := worker(t, store)
			if w.OOMKills != cp.oomKills || w.Restarts != cp.restarts || w.State != cp.state {
				t.Errorf("variant %d at %s: oom=%d restarts=%d state=%s, want %d %d %s",
					v, cp.at, w.OOMKills, w.Restarts, w.State, cp.oomKills, cp.restarts, cp.state)
			}
		}
	}
}

// TestExit137Heuristic pins the rule that tells an OOM kill from ECS's own
// SIGKILL after stopTimeout.
func TestExit137Heuristic(t *testing.T) {
	t.Parallel()
	type poll struct {
		taskDesired, known string
		exit               int // -1: none
		finished           string
		restartCount       int // -1: not reported
		started            string
	}
	tests := []struct {
		name         string
		polls        []poll
		wantOOM      uint64
		wantRestarts uint64
	}{
		{"killed while ECS wanted it running", []poll{
			{"RUNNING", "RUNNING", -1, "", -1, "10:00:00"},
			{"RUNNING", "STOPPED", 137, "10:01:00", -1, "10:00:00"},
			{"RUNNING", "STOPPED", 137, "10:01:00", -1, "10:00:00"},
		}, 1, 0},
		{"essential container OOM stops the task: last poll had ECS wanting it", []poll{
			{"RUNNING", "RUNNING", -1, "", -1, "10:00:00"},
			{"STOPPED", "STOPPED", 137, "10:01:00", -1, "10:00:00"},
		}, 1, 0},
		{"SIGKILL after stopTimeout while ECS stops the task", []poll{
			{"RUNNING", "RUNNING", -1, "", -1, "10:00:00"},
			{"STOPPED", "RUNNING", -1, "", -1, "10:00:00"},
			{"STOPPED", "STOPPED", 137, "10:01:30", -1, "10:00:00"},
		}, 0, 0},
		{"exit 1 is no OOM", []poll{
			{"RUNNING", "RUNNING", -1, "", -1, "10:00:00"},
			{"RUNNING", "STOPPED", 1, "10:01:00", -1, "10:00:00"},
		}, 0, 0},
		{"restarted between polls without RestartCount", []poll{
			{"RUNNING", "RUNNING", -1, "", -1, "10:00:00"},
			{"RUNNING", "STOPPED", 137, "10:01:00", -1, "10:00:00"},
			{"RUNNING", "RUNNING", -1, "", -1, "10:01:10"},
			{"RUNNING", "STOPPED", 137, "10:02:00", -1, "10:01:10"},
		}, 2, 1},
		{"agent RestartCount wins", []poll{
			{"RUNNING", "RUNNING", -1, "", 3, "10:00:00"},
		}, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			i := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				p := tt.polls[min(i, len(tt.polls)-1)]
				mu.Unlock()
				if strings.HasSuffix(r.URL.Path, "/stats") {
					_, _ = w.Write([]byte(`{}`))
					return
				}
				c := map[string]any{"Name": "app", "DockerId": "d1", "Type": "NORMAL", "DesiredStatus": "RUNNING", "KnownStatus": p.known,
					"StartedAt": "2026-03-02T" + p.started + "Z"}
				if p.exit >= 0 {
					c["ExitCode"] = p.exit
					c["FinishedAt"] = "2026-03-02T" + p.finished + "Z"
				}
				if p.restartCount >= 0 {
					c["RestartCount"] = p.restartCount
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/t1", "DesiredStatus": p.taskDesired, "Containers": []any{c}})
			}))
			defer srv.Close()
			store := collector.NewStore(nil)
			c := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler))
			for range tt.polls {
				if err := c.Collect(t.Context()); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				i++
				mu.Unlock()
			}
			got := store.Snapshot().Tasks[0].Containers[0]
			if got.OOMKills != tt.wantOOM || got.Restarts != tt.wantRestarts {
				t.Errorf("oom=%d restarts=%d, want %d %d", got.OOMKills, got.Restarts, tt.wantOOM, tt.wantRestarts)
			}
		})
	}
}

// TestPartialStats: one container's malformed stats leave the others
// reported, and the run still says something was wrong.
func TestPartialStats(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/stats") {
			_, _ = w.Write([]byte(`{"good": {"read": "2026-03-02T10:00:00Z", "memory_stats": {"usage": 100}}, "bad": {"memory_stats": {"usage": -5}}}`))
			return
		}
		_, _ = w.Write([]byte(`{"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/t1", "Containers": [
			{"Name": "a", "DockerId": "good", "KnownStatus": "RUNNING"}, {"Name": "b", "DockerId": "bad", "KnownStatus": "RUNNING"}]}`))
	}))
	defer srv.Close()
	store := collector.NewStore(nil)
	err := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler)).Collect(t.Context())
	if err == nil || !strings.Contains(err.Error(), "stats of container bad") {
		t.Fatalf("err = %v, want it to name container bad", err)
	}
	cs := store.Snapshot().Tasks[0].Containers
	if cs[0].Stats == nil || cs[0].Stats.MemoryUsageBytes != 100 || cs[1].Stats != nil {
		t.Errorf("containers = %+v, want a with stats and b without", cs)
	}
}

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
