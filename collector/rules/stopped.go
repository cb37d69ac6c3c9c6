package rules

import (
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// StoppedTask returns the events of a stopped task: one task_stopped, and an
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
	}}
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
	StopCode, StoppedReason       string
	StoppedAt                     time.Time
	Containers                    []StoppedContainer
}

// StoppedContainer is one container of a stopped task.
type StoppedContainer struct {
	Name     string
	ExitCode *int
	Reason   string
}
