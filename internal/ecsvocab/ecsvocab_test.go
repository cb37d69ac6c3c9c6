package ecsvocab

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestValuesAreTheSDKs: the enums written out here are the SDK's.
func TestValuesAreTheSDKs(t *testing.T) {
	t.Parallel()
	var codes []string
	for _, c := range types.TaskStopCode("").Values() {
		codes = append(codes, string(c))
	}
	if !slices.Equal(codes, StopCodes) {
		t.Errorf("StopCodes = %v, the SDK's TaskStopCode values are %v", StopCodes, codes)
	}
	for _, s := range types.DeploymentRolloutState("").Values() {
		if !slices.Contains(RolloutStates, string(s)) {
			t.Errorf("rollout state %s missing", s)
		}
	}
}

func TestPlacementFailure(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"(service checkout) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance 0a1) has insufficient memory available.": "insufficient_memory",
		"(service api) was unable to place a task. Reason: Capacity is unavailable at this time.":                                                                                                   "capacity_unavailable",
		"(service api) was unable to place a task because something new happened.":                                                                                                                  PlacementOther,
	} {
		if got, ok := PlacementFailure(msg); !ok || got != want || !slices.Contains(PlacementReasons(), got) {
			t.Errorf("PlacementFailure(%q) = %q, %v; want %q", msg, got, ok, want)
		}
	}
	if _, ok := PlacementFailure("(service api) has reached a steady state."); ok {
		t.Error("a steady state read as a placement failure")
	}
}

func TestARNs(t *testing.T) {
	t.Parallel()
	task := "arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b"
	if got := ResourceID(task); got != "3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b" {
		t.Errorf("ResourceID = %q", got)
	}
	if got := ResourceID("shop-prod"); got != "shop-prod" {
		t.Errorf("ResourceID of a name = %q", got)
	}
	td := TaskDefinition("arn:aws:ecs:eu-west-1:123456789012:task-definition/checkout:12")
	if td != "checkout:12" || TaskFamily(td) != "checkout" {
		t.Errorf("TaskDefinition = %q, family %q", td, TaskFamily(td))
	}
	if r, a := RegionAccount(task); r != "eu-west-1" || a != "123456789012" {
		t.Errorf("RegionAccount = %q %q", r, a)
	}
	if r, a := RegionAccount("not-an-arn"); r != "" || a != "" {
		t.Errorf("RegionAccount of a name = %q %q", r, a)
	}
}
