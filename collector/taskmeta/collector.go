package taskmeta

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// Name is the collector's default name in ecswatch_collector_* series.
const Name = "taskmeta"

// oomExitCode is 128 + SIGKILL, the exit code of a container whose process
// the kernel's OOM killer ended.
const oomExitCode = 137

// Collector polls the task metadata endpoint and publishes the task to the
// Store. It remembers what it saw between polls to count restarts and OOM
// kills; that memory is bounded by the task's containers.
type Collector struct {
	name   string
	client *Client
	store  *collector.Store
	logger *slog.Logger

	history map[string]*containerHistory // by task ARN + container name
	primed  bool                         // a poll has been tracked
}

// containerHistory is what one container looked like in earlier polls.
type containerHistory struct {
	lastStartedAt time.Time
	restarts      uint64 // observed, for agents that report no RestartCount
	oomKills      uint64
	handledStop   string // identity of the last stop looked at for OOM
	// taskWantedRunning is whether, when the container was last seen
	// running, ECS still wanted the task and the container to run.
	seenRunning       bool
	taskWantedRunning bool
}

// New returns a Collector called name reading through client and publishing
// to store.
func New(name string, client *Client, store *collector.Store, logger *slog.Logger) *Collector {
	return &Collector{name: name, client: client, store: store, logger: logger, history: map[string]*containerHistory{}}
}

// Name implements collector.Collector.
func (c *Collector) Name() string { return c.name }

// Collect fetches /task and /task/stats concurrently and publishes the task.
// If either request fails nothing is published, so the Store keeps the last
// good task. A container whose stats alone are malformed is published
// without stats, and the run still reports the error.
func (c *Collector) Collect(ctx context.Context) error {
	var (
		rawStats map[string]json.RawMessage
		statsErr error
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		rawStats, statsErr = c.client.TaskStats(ctx)
	}()
	tr, err := c.client.Task(ctx)
	<-done
	if err != nil {
		return fmt.Errorf("task metadata: %w", err)
	}
	if statsErr != nil {
		return fmt.Errorf("task stats: %w", statsErr)
	}
	stats, partial := decodeStats(rawStats)
	t := translate(tr, stats)
	kills := c.track(t, tr)
	c.store.Apply(c.name, collector.Contribution{Tasks: []*collector.Task{t}, Notify: kills})
	if partial != nil {
		return fmt.Errorf("task stats: %w", partial)
	}
	return nil
}

// track carries restarts and OOM kills across polls and writes the running
// totals into t. The first poll learns the exits that already happened
// without counting them: a restarted sidecar must not count its task's past
// kills again (README, "OOM kills: what each mode can tell").
func (c *Collector) track(t *collector.Task, tr *taskResponse) (kills []collector.Event) {
	seen := make(map[string]bool, len(tr.Containers))
	taskWantsRun := t.DesiredStatus != "STOPPED"
	learning := !c.primed
	c.primed = true
	for i := range tr.Containers {
		cr := &tr.Containers[i]
		if !cr.normal() {
			continue
		}
		key := t.ARN + "/" + cr.Name
		seen[key] = true
		h := c.history[key]
		if h == nil {
			h = &containerHistory{}
			c.history[key] = h
		}

		var started time.Time
		if cr.StartedAt != nil {
			started = *cr.StartedAt
		}
		if !h.lastStartedAt.IsZero() && started.After(h.lastStartedAt) {
			h.restarts++
		}
		if !started.IsZero() {
			h.lastStartedAt = started
		}

		if cr.ExitCode != nil && *cr.ExitCode == oomExitCode {
			if stop := stopIdentity(cr); stop != h.handledStop {
				h.handledStop = stop
				if !learning && oomKilled(tr, cr, h) {
					h.oomKills++
					kills = append(kills, c.oomEvent(t, cr, stop))
				}
			}
		}
		if cr.KnownStatus == "RUNNING" {
			h.seenRunning = true
			h.taskWantedRunning = taskWantsRun && cr.DesiredStatus != "STOPPED"
		}
	}
	for key := range c.history {
		if !seen[key] {
			delete(c.history, key)
		}
	}
	for i := range t.Containers {
		ct := &t.Containers[i]
		h := c.history[t.ARN+"/"+ct.Name]
		if h == nil {
			continue
		}
		ct.OOMKills = h.oomKills
		// An agent with a restart policy counts restarts itself; its figure
		// already sits in ct.Restarts and is better than ours.
		if ct.Restarts == 0 {
			ct.Restarts = h.restarts
		}
	}
	return kills
}

// maxStopTimeout is the longest stopTimeout ECS allows: a container that
// ignores SIGTERM is SIGKILLed at most this long after the task began to stop.
const maxStopTimeout = 120 * time.Second

// oomKilled judges a container's exit with code 137. The metadata endpoint
// has no stop reason, and 137 is SIGKILL from anyone: the kernel's OOM
// killer, ECS after stopTimeout when a container ignores SIGTERM, or a
// `kill -9`. ECS sends its SIGKILL only while stopping the task, so the exit
// is an OOM kill unless
//
//   - a poll saw the container still running after ECS had decided to stop
//     it or its task (it was then SIGKILLed after stopTimeout), or
//   - ECS is stopping the task and another container of it finished shortly
//     before this one: this one was a casualty of the stop, SIGKILLed after
//     ignoring SIGTERM, not its cause. The container whose death stops the
//     task is the first to finish.
//
// A kill -9 from inside the container, or a supervisor that SIGKILLs its
// child and exits 137, still counts; a child process OOM-killed while the
// container's main process lives or exits with another code is invisible
// here. README's truth table says which mode gets which case right.
func oomKilled(tr *taskResponse, cr *containerResponse, h *containerHistory) bool {
	if h.seenRunning && !h.taskWantedRunning {
		return false
	}
	if tr.DesiredStatus != "STOPPED" && cr.DesiredStatus != "STOPPED" {
		return true // nobody is stopping the task: the kill came from inside
	}
	if cr.FinishedAt == nil {
		return true
	}
	for i := range tr.Containers {
		o := &tr.Containers[i]
		if o == cr || !o.normal() || o.FinishedAt == nil {
			continue
		}
		if before := cr.FinishedAt.Sub(*o.FinishedAt); before > 0 && before <= maxStopTimeout {
			return false
		}
	}
	return true
}

// oomEvent is a counted kill, for the push exporters. The sidecar counts
// kills itself, per task container; the Store only passes the event on. A
// kill that stops the task is the one the standalone collector and the
// event stream report too, under the ID they use (task ARN and container),
// so that one process that runs both sends it once; a kill followed by a
// restart in place carries its stop in the ID, one event per kill.
func (c *Collector) oomEvent(t *collector.Task, cr *containerResponse, stop string) collector.Event {
	c.logger.Info("container killed with exit code 137, counted as OOM kill",
		"task_arn", t.ARN, "container_name", cr.Name)
	id := t.ARN + "/" + cr.Name
	if t.DesiredStatus != "STOPPED" {
		id += "/" + stop
	}
	at := time.Now()
	if cr.FinishedAt != nil {
		at = *cr.FinishedAt
	}
	return collector.Event{
		Kind: collector.EventOOMKill, ID: id, Time: at,
		Identity: t.Identity(), Container: cr.Name, TaskARN: t.ARN,
		Message: "exit code 137 while ECS wanted the container running",
	}
}

// stopIdentity tells one stop of a container from the next: a restarted
// container finishes at a new time.
func stopIdentity(cr *containerResponse) string {
	if cr.FinishedAt != nil {
		return cr.FinishedAt.Format(time.RFC3339Nano)
	}
	if cr.StartedAt != nil {
		return "started " + cr.StartedAt.Format(time.RFC3339Nano)
	}
	return "docker " + cr.DockerID
}
