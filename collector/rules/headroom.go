package rules

import (
	"slices"

	"github.com/ecswatch/ecswatch/collector"
)

// Instance is what headroom needs of one container instance.
type Instance struct {
	ARN             string
	RemainingCPU    int // CPU units
	RemainingMemory int // MiB
	// CPUArchitecture and OSType are the instance's ecs.cpu-architecture
	// (x86_64, arm64) and ecs.os-type (linux, windows) attributes.
	CPUArchitecture string
	OSType          string
	// CapacityProvider is the capacity provider (an Auto Scaling group's)
	// that registered the instance; empty for one registered by hand.
	CapacityProvider string
	// Usable: ACTIVE with its agent connected. ECS places on no other.
	Usable bool
}

// Placement is what one task of a service needs, and where it may go.
type Placement struct {
	// CPUUnits and MemoryMiB are what ECS reserves for one task: the task
	// size, or where the task definition sets none, the sum of its
	// containers' cpu and memoryReservation (else memory).
	CPUUnits, MemoryMiB int
	// CPUArchitecture (x86_64, arm64) and OSType (linux, windows) the task
	// definition's runtimePlatform asks for; empty for any.
	CPUArchitecture string
	OSType          string
	// DistinctInstance: the service has a distinctInstance placement
	// constraint; Occupied are the instances running one of its tasks.
	DistinctInstance bool
	Occupied         map[string]bool
	// CapacityProviders are the providers of the service's strategy, whose
	// instances alone it may use; nil for the EC2 launch type, which may use
	// any instance of the cluster.
	CapacityProviders []string
}

// eligible reports whether a task of p may be placed on in at all.
func (p *Placement) eligible(in *Instance) bool {
	return in.Usable &&
		(p.CPUArchitecture == "" || p.CPUArchitecture == in.CPUArchitecture) &&
		(p.OSType == "" || p.OSType == in.OSType) &&
		(p.CapacityProviders == nil || slices.Contains(p.CapacityProviders, in.CapacityProvider))
}

// fits is how many more tasks of p the instance can take now.
func (p *Placement) fits(in *Instance) int {
	if !p.eligible(in) {
		return 0
	}
	n := -1
	if p.CPUUnits > 0 {
		n = in.RemainingCPU / p.CPUUnits
	}
	if p.MemoryMiB > 0 {
		if m := in.RemainingMemory / p.MemoryMiB; n < 0 || m < n {
			n = m
		}
	}
	n = max(n, 0)
	if p.DistinctInstance {
		if p.Occupied[in.ARN] {
			return 0
		}
		n = min(n, 1)
	}
	return n
}

// Headroom fills svc.Health's headroom for a service placed on container
// instances (EC2 launch type, or a capacity provider strategy): how many
// more of its tasks fit now, how many a rolling deployment starts at once,
// and whether the next deployment proceeds at full speed, slowly, or not at
// all. README "Deploy headroom" states the rule and what it leaves out.
func Headroom(svc *collector.Service, p Placement, instances []Instance) {
	if p.CPUUnits == 0 && p.MemoryMiB == 0 {
		return // size unknown
	}
	fit := 0
	// Stopping an old task first frees room only where a new one may go.
	freesRoom := false
	for i := range instances {
		in := &instances[i]
		fit += p.fits(in)
		if p.Occupied[in.ARN] && p.eligible(in) {
			freesRoom = true
		}
	}
	d := svc.Desired
	// ECS rounds maximumPercent's task count down and minimumHealthyPercent's
	// up (API reference DeploymentConfiguration).
	surge := max(0, d*svc.MaximumPercent/100-d)
	stopFirst := max(0, d-(d*svc.MinimumHealthyPercent+99)/100)
	if !freesRoom {
		stopFirst = 0
	}
	state := collector.HeadroomStalled
	switch {
	case d == 0:
		state = collector.HeadroomFull // nothing to start
	case surge == 0 && stopFirst == 0:
		// maximumPercent 100 and minimumHealthyPercent 100: no room to
		// surge into and none to free.
	case fit >= surge:
		state = collector.HeadroomFull
	case fit > 0 || stopFirst > 0:
		state = collector.HeadroomSlow
	}
	svc.Health.HasHeadroom = true
	svc.Health.HeadroomTasks = fit
	svc.Health.SurgeTasks = surge
	svc.Health.HeadroomState = state
}
