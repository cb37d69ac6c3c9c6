package ecsvocab

import "strings"

// The deployment vocabulary of today's ECS (service/ecs v1.104.1 types;
// API reference: DeploymentController, DeploymentConfiguration,
// ServiceDeployment, TaskSet). ecsvocab_test holds each list to the SDK's
// enum.

// Deployment controllers (types.DeploymentControllerType). A service that
// names none uses ECS.
const (
	ControllerECS        = "ECS"
	ControllerCodeDeploy = "CODE_DEPLOY"
	ControllerExternal   = "EXTERNAL"
)

// Controllers are every value of the controller label.
var Controllers = []string{ControllerECS, ControllerCodeDeploy, ControllerExternal}

// Deployment strategies of the ECS controller (types.DeploymentStrategy). A
// service that names none rolls; CODE_DEPLOY and EXTERNAL services have
// none, and their strategy label is empty.
const (
	StrategyRolling   = "ROLLING"
	StrategyBlueGreen = "BLUE_GREEN"
	StrategyLinear    = "LINEAR"
	StrategyCanary    = "CANARY"
)

// Strategies are every value of the strategy label.
var Strategies = []string{StrategyRolling, StrategyBlueGreen, StrategyLinear, StrategyCanary, ""}

// Service deployment statuses (types.ServiceDeploymentStatus), and the
// stages the Developer Guide groups them in ("View service history using
// Amazon ECS service deployments"): pending, ongoing, completed.
const (
	SDPending            = "PENDING"
	SDInProgress         = "IN_PROGRESS"
	SDStopRequested      = "STOP_REQUESTED"
	SDRollbackRequested  = "ROLLBACK_REQUESTED"
	SDRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	SDSuccessful         = "SUCCESSFUL"
	SDStopped            = "STOPPED"
	SDRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	SDRollbackFailed     = "ROLLBACK_FAILED"
)

// ServiceDeploymentStatuses are every value of the status label.
var ServiceDeploymentStatuses = []string{
	SDPending, SDInProgress, SDStopRequested, SDRollbackRequested, SDRollbackInProgress,
	SDSuccessful, SDStopped, SDRollbackSuccessful, SDRollbackFailed,
}

// ServiceDeploymentOngoing reports whether a service deployment status is
// in the Developer Guide's "ongoing" stage.
func ServiceDeploymentOngoing(status string) bool {
	switch status {
	case SDInProgress, SDStopRequested, SDRollbackRequested, SDRollbackInProgress:
		return true
	}
	return false
}

// ServiceDeploymentCompleted reports whether a service deployment status is
// in the "completed" stage: final, never to change again.
func ServiceDeploymentCompleted(status string) bool {
	switch status {
	case SDSuccessful, SDStopped, SDRollbackSuccessful, SDRollbackFailed:
		return true
	}
	return false
}

// ServiceDeploymentFailed reports whether a status means the deployment did
// not reach its target: it was stopped or rolled back.
func ServiceDeploymentFailed(status string) bool {
	return status == SDStopRequested || status == SDStopped || strings.HasPrefix(status, "ROLLBACK_")
}

// Lifecycle stages of a service deployment
// (types.ServiceDeploymentLifecycleStage).
const (
	StageProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT"
	StageBakeTime               = "BAKE_TIME"
)

// LifecycleStages are every value of the stage label.
var LifecycleStages = []string{
	"RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP",
	"TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", StageProductionTrafficShift,
	"POST_PRODUCTION_TRAFFIC_SHIFT", StageBakeTime, "CLEAN_UP",
}

// MonitorTriggered is the status of a circuit breaker or alarm set that
// failed the deployment (types.ServiceDeploymentRollbackMonitorsStatus).
const MonitorTriggered = "TRIGGERED"

// Lifecycle hook statuses (types.DeploymentLifecycleHookStatus) that
// matter to the rules.
const (
	HookAwaitingAction = "AWAITING_ACTION"
	HookFailed         = "FAILED"
	HookTimedOut       = "TIMED_OUT"
)

// Task set statuses and stability (TaskSet.status, types.StabilityStatus).
const (
	TaskSetPrimary     = "PRIMARY"
	TaskSetActive      = "ACTIVE"
	TaskSetDraining    = "DRAINING"
	StabilityStabilize = "STABILIZING"
)

// TaskSetStatuses are every value of a task set's status label.
var TaskSetStatuses = []string{TaskSetPrimary, TaskSetActive, TaskSetDraining}

// The causes a failed deployment is counted under.
const (
	CauseCircuitBreaker = "circuit_breaker"
	CauseAlarm          = "alarm"
	CauseManual         = "manual"
	CauseOther          = "other"
)

// FailureCauses are every value of the failures' cause label.
var FailureCauses = []string{CauseCircuitBreaker, CauseAlarm, CauseManual, CauseOther}

// FailureCauseFromReason classifies a legacy deployment's
// rolloutStateReason, for when the service deployment itself cannot be
// read. ECS writes "ECS deployment circuit breaker: ..." for the circuit
// breaker and names the alarm for a CloudWatch alarm rollback.
func FailureCauseFromReason(reason string) string {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "circuit breaker"):
		return CauseCircuitBreaker
	case strings.Contains(r, "alarm"):
		return CauseAlarm
	}
	return CauseOther
}
