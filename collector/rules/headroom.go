package rules

import "github.com/ecswatch/ecswatch/collector"

// Instance is what headroom needs of one container instance.
type Instance struct {
	RemainingCPU    int // CPU units
	RemainingMemory int // MiB
}

// Headroom fills svc.Health's headroom for an EC2 service: how many more
// tasks of its size the instances can place now, and how many a rolling
// deployment at maximumPercent starts at once. It ignores placement
// constraints and host-port conflicts, so it is an upper bound.
func Headroom(svc *collector.Service, instances []Instance) {
	if svc.LaunchType != "EC2" || (svc.TaskCPUUnits == 0 && svc.TaskMemoryMiB == 0) {
		return
	}
	fit := 0
	for _, in := range instances {
		n := -1
		if svc.TaskCPUUnits > 0 {
			n = in.RemainingCPU / svc.TaskCPUUnits
		}
		if svc.TaskMemoryMiB > 0 {
			if m := in.RemainingMemory / svc.TaskMemoryMiB; n < 0 || m < n {
				n = m
			}
		}
		fit += max(n, 0)
	}
	svc.Health.HasHeadroom = true
	svc.Health.HeadroomTasks = fit
	svc.Health.SurgeTasks = max(0, svc.Desired*svc.MaximumPercent/100-svc.Desired)
}
