// Package ecsvocab is the ECS vocabulary shared by the collectors that read
// ECS and the catalogue that exports what they read: the bounded values of
// stop codes, placement-failure reasons, deployment and rollout states,
// EventBridge detail-types, and the Container Insights metrics. It has no
// dependencies (the sidecar build links the catalogue, never the AWS SDK), so
// the values taken from the SDK's enums are written out here and a test holds
// them to the SDK.
package ecsvocab

import (
	"slices"
	"strings"
)

// StopCodes are the SDK's types.TaskStopCode values (service/ecs v1.104.1).
var StopCodes = []string{
	"TaskFailedToStart", "EssentialContainerExited", "UserInitiated", "ServiceSchedulerInitiated",
	"SpotInterruption", "TerminationNotice", "InfrastructureHealth",
}

// The stop_code label's values besides StopCodes: none given, and one the
// SDK does not know.
const (
	StopCodeUnknown = "Unknown"
	StopCodeOther   = "Other"
)

// StopCodeLabel bounds a task's stopCode to the label's values.
func StopCodeLabel(code string) string {
	switch {
	case code == "":
		return StopCodeUnknown
	case slices.Contains(StopCodes, code):
		return code
	default:
		return StopCodeOther
	}
}

// StopCodeValues are every value of the stop_code label.
func StopCodeValues() []string {
	return append(slices.Clone(StopCodes), StopCodeUnknown, StopCodeOther)
}

// placementReasons maps phrases of ECS service event messages to a bounded
// reason label, checked in order. The phrases come from the "Service event
// messages" page of the ECS Developer Guide.
var placementReasons = []struct{ phrase, reason string }{
	{"insufficient memory", "insufficient_memory"},
	{"insufficient cpu", "insufficient_cpu"},
	{"already using a port", "port_in_use"},
	{"encountered error \"agent\"", "agent_disconnected"},
	{"missing an attribute", "missing_attribute"},
	{"limit on the number of tasks", "account_limit"},
	{"limit on the number of vcpus", "account_limit"},
	{"configuration is above your limit", "account_limit"},
	{"capacity is unavailable", "capacity_unavailable"},
	{"internal error", "internal_error"},
	{"no container instance met all of its requirements", "no_matching_instance"},
}

// PlacementOther is the reason of a placement failure no phrase matches.
const PlacementOther = "other"

// PlacementFailure reports whether a service event message says a task could
// not be placed, and why, as a bounded reason.
func PlacementFailure(message string) (reason string, ok bool) {
	m := strings.ToLower(message)
	if !strings.Contains(m, "was unable to place a task") {
		return "", false
	}
	for _, r := range placementReasons {
		if strings.Contains(m, r.phrase) {
			return r.reason, true
		}
	}
	return PlacementOther, true
}

// PlacementReasons are every value of the placement failures' reason label.
func PlacementReasons() []string {
	var out []string
	for _, r := range placementReasons {
		if !slices.Contains(out, r.reason) {
			out = append(out, r.reason)
		}
	}
	return append(out, PlacementOther)
}

// The EventBridge detail-types ECS sends (Developer Guide, "Amazon ECS
// events"), those ecswatch applies first.
const (
	TaskStateChange              = "ECS Task State Change"
	DeploymentStateChange        = "ECS Deployment State Change"
	ServiceAction                = "ECS Service Action"
	ContainerInstanceStateChange = "ECS Container Instance State Change"
)

// The labels of messages that are not one of those: unreadable, or another
// detail-type.
const (
	DetailTypeInvalid = "invalid"
	DetailTypeOther   = "other"
)

// detailTypeValues are every value of the events' type label.
var detailTypeValues = []string{TaskStateChange, DeploymentStateChange, ServiceAction, ContainerInstanceStateChange, DetailTypeInvalid, DetailTypeOther}

// DetailTypeLabel bounds a message's detail-type to the label's values.
func DetailTypeLabel(detailType string) string {
	if slices.Contains(detailTypeValues, detailType) {
		return detailType
	}
	return DetailTypeOther
}

// DetailTypeValues are every value of the events' type label, a copy.
func DetailTypeValues() []string { return slices.Clone(detailTypeValues) }

// RolloutStates are the SDK's types.DeploymentRolloutState values; a
// deployment from before rollout states has none ("").
var RolloutStates = []string{"COMPLETED", "FAILED", "IN_PROGRESS", ""}

// DeploymentStatuses are the values of a deployment's status.
var DeploymentStatuses = []string{"PRIMARY", "ACTIVE", "INACTIVE"}

// The outcomes an AWS API call attempt is counted under.
const (
	OutcomeSuccess      = "success"
	OutcomeThrottled    = "throttled"
	OutcomeClientError  = "client_error"
	OutcomeServerError  = "server_error"
	OutcomeNetworkError = "network_error"
)

// Outcomes are every value of the API calls' outcome label.
var Outcomes = []string{OutcomeSuccess, OutcomeThrottled, OutcomeClientError, OutcomeServerError, OutcomeNetworkError}
