package rules

import (
	"slices"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// The crash loop rule's thresholds: CrashLoopStops tasks of the current
// revision stopped for a failure within CrashLoopWindow.
const (
	CrashLoopWindow = 15 * time.Minute
	CrashLoopStops  = 3
)

// The service event messages the rule reads (Developer Guide, "Amazon ECS
// service event messages").
const (
	msgStartImpaired = "is unable to consistently start tasks successfully"
	msgSteadyState   = "has reached a steady state"
)

// failedStart is one task that stopped for a failure.
type failedStart struct {
	arn, taskDefinition, class string
	at                         time.Time
}

// ObserveStopped remembers, for the crash loop rule, the tasks of t that
// stopped for a failure (ecsvocab.StopFailure). Stopped tasks ECS listed
// before ecswatch started count too: the rule reports a state, not news.
func (t *Tracker) ObserveStopped(tasks []StoppedTaskInfo) {
	if t.crash == nil {
		t.crash = map[string][]failedStart{}
	}
	for _, st := range tasks {
		class := st.Class()
		if st.Service == "" || !ecsvocab.StopFailure(class) {
			continue
		}
		if slices.ContainsFunc(t.crash[st.Service], func(f failedStart) bool { return f.arn == st.ARN }) {
			continue
		}
		t.crash[st.Service] = append(t.crash[st.Service], failedStart{arn: st.ARN, taskDefinition: st.TaskDefinition, class: class, at: st.StoppedAt})
	}
}

// CrashLoop applies the crash loop rule to svc at now and sets
// svc.Health.CrashLoop: the service's PRIMARY deployment cannot start tasks
// when ECS says so (its latest "unable to consistently start tasks" event
// is newer than the deployment and than any steady state), or when at least
// CrashLoopStops of the deployment's tasks stopped for a failure within
// CrashLoopWindow. The reason is the most frequent class among those stops
// (ties: the order of ecsvocab.StopClasses), or unknown.
func (t *Tracker) CrashLoop(now time.Time, svc *collector.Service) {
	// Forget what left the window, for every service: a deleted service
	// leaves nothing behind.
	for name, fs := range t.crash {
		fs = slices.DeleteFunc(fs, func(f failedStart) bool { return now.Sub(f.at) > CrashLoopWindow })
		if len(fs) == 0 {
			delete(t.crash, name)
		} else {
			t.crash[name] = fs
		}
	}
	p := svc.Primary()
	if p == nil {
		return
	}
	counts := map[string]int{}
	n := 0
	for _, f := range t.crash[svc.Name] {
		if f.taskDefinition == p.TaskDefinition {
			counts[f.class]++
			n++
		}
	}
	if n < CrashLoopStops && !ecsSaysImpaired(svc, p) {
		return
	}
	reason, best := ecsvocab.CrashLoopUnknown, 0
	for _, c := range ecsvocab.StopClasses {
		if counts[c] > best {
			reason, best = c, counts[c]
		}
	}
	svc.Health.CrashLoop = reason
}

// ecsSaysImpaired reports whether the newest of the service's "unable to
// consistently start tasks" and "steady state" events since deployment p
// began is the former. ECS resumes normal retries when the service is
// updated, so older ones are about an earlier revision.
func ecsSaysImpaired(svc *collector.Service, p *collector.Deployment) bool {
	var newest time.Time
	impaired := false
	for _, e := range svc.Events {
		if e.CreatedAt.Before(p.CreatedAt) || e.CreatedAt.Before(newest) {
			continue
		}
		switch {
		case strings.Contains(e.Message, msgStartImpaired):
			newest, impaired = e.CreatedAt, true
		case strings.Contains(e.Message, msgSteadyState):
			newest, impaired = e.CreatedAt, false
		}
	}
	return impaired
}
