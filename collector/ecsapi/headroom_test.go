package ecsapi

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// TestTaskNeeds: what ECS reserves for a task, from its task definition.
func TestTaskNeeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		td   *types.TaskDefinition
		want taskNeeds
	}{
		{"task-level size", &types.TaskDefinition{Cpu: aws.String("1024"), Memory: aws.String("2048"),
			ContainerDefinitions: []types.ContainerDefinition{{Cpu: 256, MemoryReservation: aws.Int32(128)}}}, taskNeeds{cpu: 1024, memory: 2048}},
		{"container-level reservations only (EC2)", &types.TaskDefinition{ContainerDefinitions: []types.ContainerDefinition{
			{Cpu: 256, MemoryReservation: aws.Int32(256), Memory: aws.Int32(1024)}, // the soft limit is what is reserved
			{Cpu: 0, Memory: aws.Int32(512)},                                       // without one, the hard limit
			{Cpu: 128},                                                             // neither: nothing reserved
		}}, taskNeeds{cpu: 384, memory: 768}},
		{"arm64 linux", &types.TaskDefinition{Memory: aws.String("512"),
			RuntimePlatform: &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureArm64, OperatingSystemFamily: types.OSFamilyLinux}},
			taskNeeds{memory: 512, arch: "arm64", os: "linux"}},
		{"windows", &types.TaskDefinition{Memory: aws.String("512"),
			RuntimePlatform: &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureX8664, OperatingSystemFamily: types.OSFamilyWindowsServer2022Core}},
			taskNeeds{memory: 512, arch: "x86_64", os: "windows"}},
		{"none", nil, taskNeeds{}},
	}
	for _, tt := range tests {
		if got := needsOf(tt.td); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestOnInstances: which services get headroom, and on which instances.
func TestOnInstances(t *testing.T) {
	t.Parallel()
	strategy := func(items ...types.CapacityProviderStrategyItem) []types.CapacityProviderStrategyItem { return items }
	item := func(name string, weight, base int32) types.CapacityProviderStrategyItem {
		return types.CapacityProviderStrategyItem{CapacityProvider: aws.String(name), Weight: weight, Base: base}
	}
	tests := []struct {
		name      string
		svc       types.Service
		providers []string
		ok        bool
	}{
		{"EC2 launch type: any instance", types.Service{LaunchType: types.LaunchTypeEc2}, nil, true},
		{"Fargate: none", types.Service{LaunchType: types.LaunchTypeFargate}, nil, false},
		{"external: none", types.Service{LaunchType: types.LaunchTypeExternal}, nil, false},
		{"Fargate Spot strategy: none", types.Service{CapacityProviderStrategy: strategy(item("FARGATE", 1, 0), item("FARGATE_SPOT", 3, 0))}, nil, false},
		{"ASG providers: theirs, weight or base", types.Service{CapacityProviderStrategy: strategy(item("cp-od", 0, 2), item("cp-spot", 1, 0), item("cp-idle", 0, 0))}, []string{"cp-od", "cp-spot"}, true},
		{"neither: unknown", types.Service{}, nil, false},
	}
	for _, tt := range tests {
		providers, ok := onInstances(tt.svc)
		if ok != tt.ok || !slices.Equal(providers, tt.providers) {
			t.Errorf("%s: %v %v, want %v %v", tt.name, providers, ok, tt.providers, tt.ok)
		}
	}
}
