package rules

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// StoppedTask returns the events of a stopped task: one task_stopped, one
// task_stop_reason with its stop reason class and the full text, and an
// oom_kill for each container whose stop reason says it ran out of memory.
// The IDs are the task ARN (and container name), the same whichever path
// (polling or the event stream) reports the task.
func StoppedTask(t StoppedTaskInfo) []collector.Event {
	// A label value from outside ecswatch: bounded, so that an unexpected
	// value cannot add series without end.
	stopCode := ecsvocab.StopCodeLabel(t.StopCode)
	events := []collector.Event{{
		Kind: collector.EventTaskStopped, ID: t.ARN, Time: t.StoppedAt,
		Identity: collector.Identity{Cluster: t.Cluster, Service: t.Service},
		TaskARN:  t.ARN, Label: stopCode, Message: t.StoppedReason,
	}, {
		Kind: collector.EventTaskStopReason, ID: t.ARN, Time: t.StoppedAt,
		Identity: collector.Identity{Cluster: t.Cluster, Service: t.Service},
		TaskARN:  t.ARN, Label: t.Class(), Message: t.Text(),
	}}
	return append(events, ContainerOOMs(t)...)
}

// ContainerOOMs returns an oom_kill for each container of t whose stop
// reason says it ran out of memory. t may be a running task: a
// non-essential container's OOM kill leaves its task running, and ECS
// reports the container stopped with the reason (DescribeTasks, and an ECS
// Task State Change event for the container). The ID is the task ARN and
// container name, as for a stopped task's.
func ContainerOOMs(t StoppedTaskInfo) []collector.Event {
	var events []collector.Event
	for _, c := range t.Containers {
		if strings.HasPrefix(c.Reason, "OutOfMemoryError") {
			events = append(events, collector.Event{
				Kind: collector.EventOOMKill, ID: t.ARN + "/" + c.Name, Time: t.StoppedAt,
				Identity:  collector.Identity{Cluster: t.Cluster, Service: t.Service, Family: t.Family},
				Container: c.Name, TaskARN: t.ARN, Message: c.Reason,
			})
		}
	}
	return events
}

// StoppedTaskInfo is what StoppedTask needs of a stopped task, whichever
// source it came from.
type StoppedTaskInfo struct {
	ARN, Cluster, Service, Family string
	TaskDefinition                string // family:revision
	StopCode, StoppedReason       string
	StoppedAt                     time.Time
	Containers                    []StoppedContainer
}

// Class is the task's stop reason class (see ecsvocab.StopClass).
func (t StoppedTaskInfo) Class() string {
	reasons := make([]string, 0, len(t.Containers))
	for _, c := range t.Containers {
		reasons = append(reasons, c.Reason)
	}
	return ecsvocab.StopClass(t.StopCode, t.StoppedReason, reasons)
}

// Text is everything ECS said about why the task stopped, for humans: the
// stop code and reason, then each container that has a reason or an exit
// code, with its class. It goes to events and logs, never to a label.
func (t StoppedTaskInfo) Text() string {
	var b strings.Builder
	b.WriteString(cmp.Or(t.StoppedReason, "(no stoppedReason)"))
	if t.StopCode != "" {
		b.WriteString(" [stopCode " + t.StopCode + "]")
	}
	for _, c := range t.Containers {
		if c.Reason == "" && c.ExitCode == nil {
			continue
		}
		b.WriteString("; container " + c.Name + " (" + ecsvocab.ContainerStopClass(c.Reason, c.ExitCode != nil) + ")")
		if c.ExitCode != nil {
			b.WriteString(" exit code " + strconv.Itoa(*c.ExitCode))
		}
		if c.Reason != "" && c.Reason != t.StoppedReason {
			b.WriteString(": " + c.Reason)
		}
	}
	return b.String()
}

// StoppedContainer is one container of a stopped task.
type StoppedContainer struct {
	Name     string
	ExitCode *int
	Reason   string
}
