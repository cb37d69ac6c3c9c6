package collector

import (
	"context"
	"log/slog"

	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// EventTaskStopReason is a stopped task classified by why it stopped: Label
// is its bounded stop reason class (internal/ecsvocab StopClasses), Message
// the full text ECS gave (stoppedReason and each container's reason and exit
// code). Its ID is the task ARN, as for EventTaskStopped, so that polling and
// the event stream count a task once.
const EventTaskStopReason EventKind = "task_stop_reason"

// logStopReason logs a classified stopped task: a failure at info, a task
// stopped on purpose (scale-in, a user, Spot) at debug. ECS's full text is
// logged at debug only, like every event's free text: operators opt in to
// it (it can name secrets' ARNs and registry paths).
func logStopReason(logger *slog.Logger, ev Event) {
	level := slog.LevelDebug
	if ecsvocab.StopFailure(ev.Label) {
		level = slog.LevelInfo
	}
	logger.Log(context.Background(), level, "task stopped", "reason", ev.Label, "cluster", ev.Identity.Cluster, "service", ev.Identity.Service)
	logger.Debug("event detail", "kind", ev.Kind, "id", ev.ID, "task_arn", ev.TaskARN, "message", ev.Message)
}

// The kinds of event the event stream adds (collector/events).
const (
	// EventServiceAction is an ECS Service Action event other than a
	// placement failure (counted as EventPlacementFailure): Label is its
	// bounded eventName, Message its reason.
	EventServiceAction EventKind = "service_action"
	// EventInstanceChange is an ECS Container Instance State Change: Label
	// is agent_disconnected or the instance's status.
	EventInstanceChange EventKind = "instance_change"
)
