package ecsapi

// Headroom's inputs: what a task of each EC2 service needs (its task
// definition, read once per revision: task definitions never change) and the
// container instances it may use.

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// The container instance attributes ECS sets on every instance (Developer
// Guide, "Amazon ECS container instance attributes"), which placement
// matches a task definition's runtimePlatform against.
const (
	attrCPUArchitecture = "ecs.cpu-architecture"
	attrOSType          = "ecs.os-type"
)

// taskNeeds is what headroom reads of a task definition.
type taskNeeds struct {
	cpu, memory int
	arch, os    string
}

// onInstances reports whether the service's tasks are placed on container
// instances, and on which capacity providers' (nil: any instance). A
// service with the EC2 launch type may use every instance; one with a
// capacity provider strategy only its providers' (ECS copies the cluster's
// default strategy into a service created without a launch type: API
// reference Service.capacityProviderStrategy). Fargate and external
// services, and a strategy of Fargate providers, are not.
func onInstances(s types.Service) (providers []string, ok bool) {
	switch s.LaunchType {
	case types.LaunchTypeEc2:
		return nil, true
	case "":
	default:
		return nil, false
	}
	for _, item := range s.CapacityProviderStrategy {
		name := aws.ToString(item.CapacityProvider)
		if name == "FARGATE" || name == "FARGATE_SPOT" {
			return nil, false
		}
		if item.Weight > 0 || item.Base > 0 {
			providers = append(providers, name)
		}
	}
	return providers, len(providers) > 0
}

// distinctInstance reports whether the service places each task on a
// different instance.
func distinctInstance(s types.Service) bool {
	for _, pc := range s.PlacementConstraints {
		if pc.Type == types.PlacementConstraintTypeDistinctInstance {
			return true
		}
	}
	return false
}

// taskDefinitions returns the needs of the primary task definition of every
// service placed on instances, through the shared cache (each described
// once). A task definition that cannot be read leaves its service without
// headroom this cycle; the cluster is still read.
func (c *Collector) taskDefinitions(ctx context.Context, services []types.Service) map[string]taskNeeds {
	seen := map[string]bool{}
	var names []string
	for _, s := range services {
		if _, ok := onInstances(s); !ok {
			continue
		}
		if td := primaryTaskDefinition(s); td != "" && !seen[td] {
			seen[td] = true
			names = append(names, td)
		}
	}
	if len(names) == 0 {
		return nil
	}
	defs, err := c.taskDefs.Get(ctx, names)
	if err != nil {
		c.logger.Debug("task definitions not read; their services get no headroom this cycle", "err", err)
	}
	out := make(map[string]taskNeeds, len(defs))
	for key, td := range defs {
		out[key] = needsOf(td)
	}
	return out
}

// primaryTaskDefinition is the family:revision of the service's PRIMARY
// deployment (else the service's task definition): the next deployment
// starts from its size and platform.
func primaryTaskDefinition(s types.Service) string {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return ecsvocab.TaskDefinition(aws.ToString(d.TaskDefinition))
		}
	}
	return ecsvocab.TaskDefinition(aws.ToString(s.TaskDefinition))
}

// needsOf reads what ECS reserves for one task of td: the task-level cpu and
// memory, else the sum of the containers' cpu and memoryReservation (or
// memory where no reservation is set), and the runtimePlatform's CPU
// architecture and OS as instance attribute values.
func needsOf(td *types.TaskDefinition) taskNeeds {
	var n taskNeeds
	if td == nil {
		return n
	}
	n.cpu, _ = strconv.Atoi(aws.ToString(td.Cpu))
	n.memory, _ = strconv.Atoi(aws.ToString(td.Memory))
	var cpu, mem int
	for _, cd := range td.ContainerDefinitions {
		cpu += int(cd.Cpu)
		switch {
		case cd.MemoryReservation != nil:
			mem += int(*cd.MemoryReservation)
		case cd.Memory != nil:
			mem += int(*cd.Memory)
		}
	}
	if n.cpu == 0 {
		n.cpu = cpu
	}
	if n.memory == 0 {
		n.memory = mem
	}
	if rp := td.RuntimePlatform; rp != nil {
		n.arch = strings.ToLower(string(rp.CpuArchitecture)) // X86_64 → x86_64, ARM64 → arm64
		switch {
		case rp.OperatingSystemFamily == types.OSFamilyLinux:
			n.os = "linux"
		case strings.HasPrefix(string(rp.OperatingSystemFamily), "WINDOWS"):
			n.os = "windows"
		}
	}
	return n
}

// headroomInstances translates container instances for headroom.
func headroomInstances(instances []types.ContainerInstance) []rules.Instance {
	out := make([]rules.Instance, 0, len(instances))
	for _, in := range instances {
		ri := rules.Instance{
			ARN:              aws.ToString(in.ContainerInstanceArn),
			RemainingCPU:     resource(in.RemainingResources, "CPU"),
			RemainingMemory:  resource(in.RemainingResources, "MEMORY"),
			CapacityProvider: aws.ToString(in.CapacityProviderName),
			Usable:           aws.ToString(in.Status) == "ACTIVE" && in.AgentConnected,
		}
		for _, a := range in.Attributes {
			switch aws.ToString(a.Name) {
			case attrCPUArchitecture:
				ri.CPUArchitecture = aws.ToString(a.Value)
			case attrOSType:
				ri.OSType = aws.ToString(a.Value)
			}
		}
		out = append(out, ri)
	}
	return out
}

// placementOf is the Placement of service s, or false where it has none
// (not on instances, or its task definition unknown).
func placementOf(s types.Service, defs map[string]taskNeeds, occupied map[string]bool) (rules.Placement, bool) {
	providers, ok := onInstances(s)
	if !ok {
		return rules.Placement{}, false
	}
	n, ok := defs[primaryTaskDefinition(s)]
	if !ok {
		return rules.Placement{}, false
	}
	return rules.Placement{
		CPUUnits: n.cpu, MemoryMiB: n.memory, CPUArchitecture: n.arch, OSType: n.os,
		DistinctInstance: distinctInstance(s), Occupied: occupied, CapacityProviders: providers,
	}, true
}

// occupiedInstances are, by service, the container instances running one of
// its tasks.
func occupiedInstances(tasks []types.Task) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, t := range tasks {
		svc := rules.ServiceFromGroup(aws.ToString(t.Group))
		in := aws.ToString(t.ContainerInstanceArn)
		if svc == "" || in == "" || aws.ToString(t.DesiredStatus) == "STOPPED" {
			continue
		}
		if out[svc] == nil {
			out[svc] = map[string]bool{}
		}
		out[svc][in] = true
	}
	return out
}

// forgetUnusedTaskDefinitions drops the task definitions no Get asked for
// in this run, so that the cache stays the size of the revisions in use. A
// run in which a cluster failed keeps them all. Called with c.mu held.
func (c *Collector) forgetUnusedTaskDefinitions() {
	if len(c.failing) == 0 {
		c.taskDefs.Sweep()
	}
}
