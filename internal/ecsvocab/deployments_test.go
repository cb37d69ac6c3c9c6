package ecsvocab

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// values returns the string values of an SDK enum.
func values[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// TestDeploymentVocabularyIsTheSDKs: every deployment vocabulary written
// out here is exactly the SDK's enum, so a new ECS value fails this test
// rather than becoming an unexpected label value.
func TestDeploymentVocabularyIsTheSDKs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ours, sdk []string
	}{
		{"controllers", Controllers, values(types.DeploymentControllerType("").Values())},
		{"strategies", Strategies[:len(Strategies)-1], values(types.DeploymentStrategy("").Values())},
		{"service deployment statuses", ServiceDeploymentStatuses, values(types.ServiceDeploymentStatus("").Values())},
		{"lifecycle stages", LifecycleStages, values(types.ServiceDeploymentLifecycleStage("").Values())},
	} {
		a, b := slices.Sorted(slices.Values(tc.ours)), slices.Sorted(slices.Values(tc.sdk))
		if !slices.Equal(a, b) {
			t.Errorf("%s = %v, the SDK's are %v", tc.name, a, b)
		}
	}
	for _, s := range []string{MonitorTriggered} {
		if !slices.Contains(values(types.ServiceDeploymentRollbackMonitorsStatus("").Values()), s) {
			t.Errorf("monitor status %s is not the SDK's", s)
		}
	}
	for _, s := range []string{HookAwaitingAction, HookFailed, HookTimedOut} {
		if !slices.Contains(values(types.DeploymentLifecycleHookStatus("").Values()), s) {
			t.Errorf("hook status %s is not the SDK's", s)
		}
	}
	if !slices.Contains(values(types.StabilityStatus("").Values()), StabilityStabilize) {
		t.Errorf("stability %s is not the SDK's", StabilityStabilize)
	}
	for _, s := range ServiceDeploymentStatuses {
		stages := 0
		for _, in := range []bool{s == SDPending, ServiceDeploymentOngoing(s), ServiceDeploymentCompleted(s)} {
			if in {
				stages++
			}
		}
		if stages != 1 {
			t.Errorf("status %s is in %d of the Developer Guide's three stages", s, stages)
		}
	}
}

func TestFailureCauseFromReason(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]string{
		"ECS deployment circuit breaker: tasks failed to start.":                          CauseCircuitBreaker,
		"ECS deployment detected triggered alarm(s): api-5xx-rate.":                       CauseAlarm,
		"deployment failed: the lifecycle hook arn:aws:lambda:...:function:check failed.": CauseOther,
	} {
		if got := FailureCauseFromReason(reason); got != want {
			t.Errorf("FailureCauseFromReason(%q) = %s, want %s", reason, got, want)
		}
	}
}
