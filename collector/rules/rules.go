// Package rules derives the signals operators alert on from what the
// standalone collector reads: stuck and failed deployments, mixed revisions,
// placement failures, OOM kills and stopped tasks, and EC2 deploy headroom.
//
// The rules, with their thresholds (Options), are documented in README.md
// under "Deployment health rules"; a test keeps the two in step.
package rules

import (
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Options are the thresholds of the rules.
type Options struct {
	// StuckAfter: a primary deployment IN_PROGRESS for longer than this may
	// be stuck. The circuit breaker alone leaves deployments IN_PROGRESS for
	// hours once any new task has reached RUNNING.
	StuckAfter time.Duration
	// ProgressWindow: with no increase of the primary deployment's running
	// count for this long, a deployment past StuckAfter is stuck.
	ProgressWindow time.Duration
	// PlacementFromEvents leaves counting placement failures to the event
	// stream. Its SERVICE_TASK_PLACEMENT_FAILURE events and the service
	// event messages polling reads share no ID, so counting both would
	// count one failure twice. Polled messages still feed the stuck rule.
	PlacementFromEvents bool
}

// DefaultOptions are the defaults of the standalone.health config keys.
var DefaultOptions = Options{StuckAfter: 30 * time.Minute, ProgressWindow: 10 * time.Minute}

// Tracker remembers, per service of one cluster, what the rules need from
// earlier cycles. It is not safe for concurrent use: one goroutine reads a
// cluster at a time.
//
// Its first cycle learns what ECS already lists without counting it: failed
// deployments, service events and stopped tasks that happened before
// ecswatch started. A restarted ecswatch would otherwise count an hour of
// history again, and Prometheus, seeing its counters reset, would add it all
// a second time. Services that appear in later cycles are new and counted in
// full.
type Tracker struct {
	opts     Options
	services map[string]*serviceState
	primed   bool // a first cycle has completed

	crash map[string][]failedStart // by service: recent failed stops (crashloop.go)
}

type serviceState struct {
	progress      progress  // of the deployment or task set being watched
	watermark     time.Time // newest service event already counted
	awaitingSince time.Time // when hooks were first seen awaiting action
	// rollout is the service deployment last seen and legacyID the ID of
	// its deployments[] entry (or its own ARN when none matched): the
	// ID its failure is counted under.
	rollout, legacyID string
	// learned holds the failed deployments listed at the first cycle,
	// which are history rather than news.
	learned map[string]bool
}

// NewTracker returns a Tracker with opts.
func NewTracker(opts Options) *Tracker {
	return &Tracker{opts: opts, services: map[string]*serviceState{}}
}

// Service applies the rules to svc at now: it fills svc.Health (but for
// headroom, see Headroom) and returns the events they produced. Events may
// repeat across cycles; the Store counts each ID once.
func (t *Tracker) Service(now time.Time, svc *collector.Service) []collector.Event {
	st := t.services[svc.Name]
	if st == nil {
		st = &serviceState{}
		t.services[svc.Name] = st
	}
	events := t.failures(svc, st)
	events = append(events, t.placementFailures(svc, st)...)
	mixedRevisions(now, svc)
	breaker(svc)
	awaiting(now, svc, st)
	if ev, ok := t.stuck(now, svc, st); ok {
		events = append(events, ev)
	}
	return events
}

// placementFailures counts each placement failure event once, and only
// events newer than the watermark.
func (t *Tracker) placementFailures(svc *collector.Service, st *serviceState) []collector.Event {
	var events []collector.Event
	newest := st.watermark
	for _, e := range svc.Events {
		if e.CreatedAt.After(newest) {
			newest = e.CreatedAt
		}
		if !t.primed || t.opts.PlacementFromEvents || !e.CreatedAt.After(st.watermark) {
			continue
		}
		if reason, ok := ecsvocab.PlacementFailure(e.Message); ok {
			events = append(events, collector.Event{
				Kind: collector.EventPlacementFailure, ID: e.ID, Time: e.CreatedAt, Identity: svc.Identity(),
				Label: reason, Message: e.Message,
			})
		}
	}
	st.watermark = newest
	return events
}

// Learning reports whether the Tracker is in its first cycle, in which what
// ECS lists is history to learn rather than news to count.
func (t *Tracker) Learning() bool { return !t.primed }

// EndCycle ends a cycle that read the whole cluster: it drops the memory of
// services not seen in it, so that deleted services do not accumulate, and
// ends the first cycle's learning.
func (t *Tracker) EndCycle(keep map[string]bool) {
	for name := range t.services {
		if !keep[name] {
			delete(t.services, name)
		}
	}
	t.primed = true
}

// ServiceFromGroup returns the service name of a task's group
// ("service:NAME"), or empty for tasks not started by a service.
func ServiceFromGroup(group string) string {
	name, ok := strings.CutPrefix(group, "service:")
	if !ok {
		return ""
	}
	return name
}
