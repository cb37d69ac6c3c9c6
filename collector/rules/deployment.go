package rules

// The deployment rules, for the three deployment controllers: the ECS
// controller's deployments read from the ServiceDeployments API (Rollout)
// or, when that is not read, from services[].deployments[]; and the task
// sets of CODE_DEPLOY and EXTERNAL services. README "Deployment health
// rules" states each rule with its ECS source.

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// SameDeployment is how close a service deployment's createdAt and a
// deployments[] entry's createdAt must be for both to be one deployment:
// ECS creates both in the UpdateService call, but the two APIs share no ID.
const SameDeployment = time.Minute

// failures returns a deployment_failed event for each deployment that
// failed, by cause, and a rollback_failed event for a rollback that failed.
//
// A failed deployment has the ID of its deployments[] entry whichever path
// saw it (this rule on either API, or the event stream's
// SERVICE_DEPLOYMENT_FAILED), so that each is counted once.
func (t *Tracker) failures(svc *collector.Service, st *serviceState) []collector.Event {
	id := svc.Identity()
	var events []collector.Event
	emit := func(kind collector.EventKind, key, deployment, cause, message string, at time.Time) {
		if st.learned[string(kind)+key] {
			return
		}
		if !t.primed { // history, not news
			if st.learned == nil {
				st.learned = map[string]bool{}
			}
			st.learned[string(kind)+key] = true
			return
		}
		events = append(events, collector.Event{
			Kind: kind, ID: key, Time: at, Identity: id, Deployment: deployment, Label: cause, Message: message,
		})
	}
	rolloutKey := ""
	if r := svc.Rollout; r != nil {
		// Remember which deployments[] entry the service deployment is
		// while ECS lists both: a rolled-back deployment leaves
		// deployments[] before its service deployment stops being read.
		if d := legacyOf(svc, r); d != nil {
			st.rollout, st.legacyID = r.ARN, d.ID
		} else if st.rollout != r.ARN {
			st.rollout, st.legacyID = r.ARN, r.ARN
		}
		rolloutKey = st.legacyID
	}
	if r := svc.Rollout; r != nil && ecsvocab.ServiceDeploymentFailed(r.Status) {
		emit(collector.EventDeploymentFailed, rolloutKey, r.ID, rolloutCause(r), rolloutMessage(svc, r), r.UpdatedAt)
		if r.Status == ecsvocab.SDRollbackFailed {
			emit(collector.EventRollbackFailed, r.ARN, r.ID, "", rolloutMessage(svc, r), r.UpdatedAt)
		}
	}
	for _, d := range svc.Deployments {
		if d.RolloutState == "FAILED" && d.ID != rolloutKey {
			emit(collector.EventDeploymentFailed, d.ID, d.ID, ecsvocab.FailureCauseFromReason(d.RolloutStateReason), d.RolloutStateReason, d.UpdatedAt)
		}
	}
	return events
}

// legacyOf returns the deployments[] entry of the service deployment r.
func legacyOf(svc *collector.Service, r *collector.Rollout) *collector.Deployment {
	for i, d := range svc.Deployments {
		if diff := d.CreatedAt.Sub(r.CreatedAt).Abs(); diff <= SameDeployment {
			return &svc.Deployments[i]
		}
	}
	return nil
}

// rolloutCause says why a service deployment failed: the monitor that
// triggered, else a manual stop or rollback (StopServiceDeployment), else
// another cause such as a failed lifecycle hook.
func rolloutCause(r *collector.Rollout) string {
	switch {
	case r.CircuitBreaker.Status == ecsvocab.MonitorTriggered:
		return ecsvocab.CauseCircuitBreaker
	case r.Alarms.Status == ecsvocab.MonitorTriggered:
		return ecsvocab.CauseAlarm
	case r.HookFailed:
		return ecsvocab.CauseOther
	case r.Status == ecsvocab.SDStopped || r.Status == ecsvocab.SDStopRequested || r.RollbackReason == "" && r.StatusReason == "":
		return ecsvocab.CauseManual
	}
	return ecsvocab.CauseOther
}

func rolloutMessage(svc *collector.Service, r *collector.Rollout) string {
	msg := "deployment " + r.ID + " of service " + svc.Name + " is " + r.Status
	if r.StatusReason != "" {
		msg += ": " + r.StatusReason
	}
	if len(r.TriggeredAlarms) > 0 {
		msg += fmt.Sprintf(" (alarms in ALARM: %v)", r.TriggeredAlarms)
	}
	if r.RollbackReason != "" {
		msg += "; rollback: " + r.RollbackReason
	}
	return msg
}

// mixedRevisions counts the revisions serving production and since when,
// from ECS's own timestamps so that a restart of ecswatch does not reset
// the clock:
//   - a service deployment with traffic weights (BLUE_GREEN, LINEAR,
//     CANARY): revisions with a production weight above 0, since the
//     deployment started;
//   - a service deployment without (ROLLING): revisions with running tasks,
//     since it started;
//   - task sets (CODE_DEPLOY, EXTERNAL): PRIMARY and ACTIVE task sets with a
//     scale above 0 and running tasks, since the newest was created;
//   - otherwise deployments[] with running tasks, since the newest was
//     created.
//
// Revisions are service revisions, not task definitions: a deployment that
// keeps the task definition but resolves a new image digest (a mutable tag
// and --force-new-deployment) is a new revision.
func mixedRevisions(now time.Time, svc *collector.Service) {
	n, since := 0, time.Time{}
	switch r := svc.Rollout; {
	case r != nil && (ecsvocab.ServiceDeploymentOngoing(r.Status) || len(svc.Deployments) > 1):
		weighted := false
		for _, rev := range r.Revisions {
			weighted = weighted || rev.HasWeights
		}
		for _, rev := range r.Revisions {
			if (weighted && rev.ProductionWeight > 0) || (!weighted && rev.Running > 0) {
				n++
			}
		}
		since = r.StartedAt
		if since.IsZero() {
			since = r.CreatedAt
		}
	case len(svc.TaskSets) > 0:
		for _, ts := range svc.TaskSets {
			if ts.Status != ecsvocab.TaskSetDraining && ts.ScalePercent > 0 && ts.Running > 0 {
				n++
				since = later(since, ts.CreatedAt)
			}
		}
	default:
		for _, d := range svc.Deployments {
			if d.Running > 0 {
				n++
				since = later(since, d.CreatedAt)
			}
		}
	}
	svc.Health.RevisionsRunning = n
	if n > 1 && !since.IsZero() {
		svc.Health.MixedSince, svc.Health.MixedFor = since, max(now.Sub(since), 0)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// breaker fills the circuit breaker's progress of a deployment in progress:
// the breaker's own count and threshold from the service deployment, else
// the primary deployment's failedTasks against the threshold worked out
// from the service's configuration.
func breaker(svc *collector.Service) {
	h := &svc.Health
	if r := svc.Rollout; r != nil && ecsvocab.ServiceDeploymentOngoing(r.Status) {
		// Once it has tripped (or a rollback is under way) the deployment
		// is past the point where a warning helps.
		cb := r.CircuitBreaker
		if r.Status != ecsvocab.SDInProgress {
			return
		}
		if cb.Status != "" && cb.Status != "DISABLED" && cb.Threshold > 0 {
			h.HasBreaker, h.BreakerFailures, h.BreakerThreshold = true, cb.FailureCount, cb.Threshold
		}
		return
	}
	if p := svc.Primary(); p != nil && p.RolloutState == "IN_PROGRESS" && svc.CircuitBreaker && svc.CircuitBreakerThreshold > 0 {
		h.HasBreaker, h.BreakerFailures, h.BreakerThreshold = true, p.Failed, svc.CircuitBreakerThreshold
	}
}

// awaiting measures how long lifecycle hooks have awaited action. ECS gives
// no time the wait began, so it is counted from the first cycle that saw it.
func awaiting(now time.Time, svc *collector.Service, st *serviceState) {
	if r := svc.Rollout; r == nil || r.HooksAwaiting == 0 || !ecsvocab.ServiceDeploymentOngoing(r.Status) {
		st.awaitingSince = time.Time{}
		return
	}
	if st.awaitingSince.IsZero() {
		st.awaitingSince = now
	}
	svc.Health.AwaitingFor = now.Sub(st.awaitingSince)
}

// progress remembers the progress of one deployment or task set.
type progress struct {
	unit string    // the deployment, service deployment or task set watched
	mark string    // its stage and traffic weights
	best int       // its highest running count so far
	at   time.Time // when it last progressed
}

// observe records the unit's state at now and reports when it last
// progressed: a new stage or traffic step, or more running tasks than ever
// before. A unit seen for the first time last progressed when ECS last
// updated it, so that a restart of ecswatch does not reset the clock.
func (p *progress) observe(now time.Time, unit, mark string, running int, updated time.Time) time.Time {
	switch {
	case unit != p.unit:
		at := now
		if !updated.IsZero() && updated.Before(now) {
			at = updated
		}
		*p = progress{unit: unit, mark: mark, best: running, at: at}
	case mark != p.mark:
		p.mark, p.best, p.at = mark, running, now
	case running > p.best:
		p.best, p.at = running, now
	}
	return p.at
}

// watched is what the stuck rule needs of the deployment or task set it
// judges.
type watched struct {
	unit, mark         string
	name               string // unit as operators know it
	started, updated   time.Time
	running, requested int
	failures           int
	// paused: a wait ECS makes by design (bake time, hooks awaiting
	// action); never stuck.
	paused bool
	// grace is a wait by design between traffic steps, added to the
	// progress window.
	grace time.Duration
}

// watch picks what the stuck rule judges: the ongoing service deployment,
// else a task set still stabilizing, else the primary deployment in
// progress.
func watch(svc *collector.Service) (watched, bool) {
	if r := svc.Rollout; r != nil {
		if !ecsvocab.ServiceDeploymentOngoing(r.Status) {
			return watched{}, false
		}
		w := watched{unit: r.ARN, name: r.ID, started: r.StartedAt, updated: r.UpdatedAt, failures: r.CircuitBreaker.FailureCount,
			paused: r.Stage == ecsvocab.StageBakeTime || r.HooksAwaiting > 0}
		if w.started.IsZero() {
			w.started = r.CreatedAt
		}
		w.mark = r.Stage
		if tgt := r.Target(); tgt != nil {
			w.running, w.requested = tgt.Running, tgt.Requested
			w.mark += "/" + strconv.FormatFloat(tgt.ProductionWeight, 'f', -1, 64) + "/" + strconv.FormatFloat(tgt.TestWeight, 'f', -1, 64)
		}
		if (svc.Strategy == ecsvocab.StrategyLinear || svc.Strategy == ecsvocab.StrategyCanary) && r.Stage == ecsvocab.StageProductionTrafficShift {
			w.grace = svc.StepBake
		}
		return w, true
	}
	for _, ts := range svc.TaskSets {
		if ts.Stability == ecsvocab.StabilityStabilize {
			return watched{unit: ts.ID, name: ts.ID, mark: ts.Status, started: ts.StabilityAt, updated: ts.UpdatedAt, running: ts.Running, requested: ts.Desired}, true
		}
	}
	p := svc.Primary()
	if p == nil {
		return watched{}, false
	}
	inProgress := p.RolloutState == "IN_PROGRESS" ||
		(p.RolloutState == "" && (len(svc.Deployments) > 1 || p.Running < p.Desired))
	return watched{unit: p.ID, name: p.ID, started: p.CreatedAt, updated: p.UpdatedAt, running: p.Running, requested: p.Desired, failures: p.Failed}, inProgress
}

// stuck applies the stuck rule: a deployment (or task set) older than
// StuckAfter, short of its own target, not in a wait ECS makes by design,
// and without progress for ProgressWindow (plus a linear or canary step's
// bake time) is stuck. The reason is a placement failure reported since
// progress stopped, else failed tasks, else no progress.
func (t *Tracker) stuck(now time.Time, svc *collector.Service, st *serviceState) (collector.Event, bool) {
	w, ok := watch(svc)
	if !ok {
		st.progress = progress{}
		return collector.Event{}, false
	}
	last := st.progress.observe(now, w.unit, w.mark, w.running, w.updated)
	if w.paused || w.running >= w.requested || now.Sub(w.started) <= t.opts.StuckAfter ||
		now.Sub(last) <= t.opts.ProgressWindow+w.grace {
		return collector.Event{}, false
	}
	reason := collector.StuckNoProgress
	for _, e := range svc.Events {
		if _, ok := ecsvocab.PlacementFailure(e.Message); ok && !e.CreatedAt.Before(last) {
			reason = collector.StuckPlacementFailure
			break
		}
	}
	if reason == collector.StuckNoProgress && w.failures > 0 {
		reason = collector.StuckFailingTasks
	}
	svc.Health.Stuck = reason
	return collector.Event{
		Kind: collector.EventDeploymentStuck, ID: w.unit, Time: now, Identity: svc.Identity(),
		Deployment: w.name, Label: string(reason), Message: stuckMessage(svc, w, reason),
	}, true
}

func stuckMessage(svc *collector.Service, w watched, reason collector.StuckReason) string {
	msg := fmt.Sprintf("deployment %s of service %s is stuck at %d of %d tasks: ", w.name, svc.Name, w.running, w.requested)
	switch reason {
	case collector.StuckPlacementFailure:
		return msg + "tasks cannot be placed"
	case collector.StuckFailingTasks:
		return msg + "tasks keep failing to start"
	}
	return msg + "the running count has not grown"
}
