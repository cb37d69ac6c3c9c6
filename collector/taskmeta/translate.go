package taskmeta

import (
	"slices"
	"strings"

	"github.com/ecswatch/ecswatch/collector"
)

const (
	mib = 1 << 20
	// cpuUnitsPerVCPU converts container-level CPU units to vCPUs.
	cpuUnitsPerVCPU = 1024
	// unlimitedMemory: cgroup v1 reports 2^63 rounded down to a page for "no
	// limit", and no real container has 4 EiB, so anything at or above 2^62
	// means unlimited.
	unlimitedMemory = 1 << 62
)

// translate turns one pair of /task and /task/stats responses into the model.
// It is a pure function of its input: state that spans polls (restarts, OOM
// kills) is applied by the collector afterwards.
func translate(tr *taskResponse, stats map[string]*statsResponse) *collector.Task {
	t := &collector.Task{
		ARN:              tr.TaskARN,
		ID:               lastSegment(tr.TaskARN),
		Cluster:          lastSegment(tr.Cluster),
		Service:          tr.ServiceName,
		Family:           tr.Family,
		Revision:         tr.Revision,
		DesiredStatus:    tr.DesiredStatus,
		KnownStatus:      tr.KnownStatus,
		LaunchType:       tr.LaunchType,
		AvailabilityZone: tr.AvailabilityZone,
	}
	if strings.HasPrefix(tr.Cluster, "arn:") {
		t.ClusterARN = tr.Cluster
	}
	if tr.Limits != nil {
		// Task-level CPU is already in vCPUs.
		t.CPULimitVCPUs = deref(tr.Limits.CPU)
		t.MemoryLimitBytes = deref(tr.Limits.Memory) * mib
	}
	if tr.EphemeralStorage != nil {
		t.HasEphemeralStorage = true
		t.EphemeralStorageUsedBytes = tr.EphemeralStorage.Utilized * mib
		t.EphemeralStorageReservedBytes = tr.EphemeralStorage.Reserved * mib
	}
	if tr.PullStartedAt != nil {
		t.PullStartedAt = *tr.PullStartedAt
	}
	if tr.PullStoppedAt != nil {
		t.PullStoppedAt = *tr.PullStoppedAt
	}
	t.NetworkMode = networkMode(tr.Containers)
	shared := sharesNetwork(t.NetworkMode, t.LaunchType)

	for i := range tr.Containers {
		cr := &tr.Containers[i]
		if !cr.normal() {
			continue
		}
		c := translateContainer(cr)
		if st := stats[cr.DockerID]; !st.empty() {
			c.Stats = translateStats(st, cr, t.MemoryLimitBytes)
			nets := translateNetworks(st.Networks)
			if shared {
				// Every container reports the task's interfaces; keep the
				// first copy only.
				if t.Networks == nil {
					t.Networks = nets
				}
			} else {
				c.Stats.Networks = nets
			}
		}
		t.Containers = append(t.Containers, c)
	}
	slices.SortFunc(t.Containers, func(a, b collector.Container) int { return strings.Compare(a.Name, b.Name) })
	return t
}

func translateContainer(cr *containerResponse) collector.Container {
	c := collector.Container{
		Name:          cr.Name,
		DockerID:      cr.DockerID,
		Image:         cr.Image,
		ImageID:       cr.ImageID,
		DesiredStatus: cr.DesiredStatus,
		KnownStatus:   cr.KnownStatus,
		State:         state(cr.KnownStatus),
	}
	if cr.ExitCode != nil {
		c.HasExitCode = true
		c.ExitCode = *cr.ExitCode
	}
	if cr.Limits != nil {
		c.CPULimitVCPUs = deref(cr.Limits.CPU) / cpuUnitsPerVCPU
		c.MemoryReservationBytes = deref(cr.Limits.Memory) * mib
	}
	if cr.RestartCount != nil {
		c.Restarts = *cr.RestartCount
	}
	return c
}

func translateStats(st *statsResponse, cr *containerResponse, taskMemory float64) *collector.ContainerStats {
	s := &collector.ContainerStats{
		Read:                st.Read,
		CPUUsageSeconds:     float64(st.CPU.Usage.TotalUsage) / 1e9,
		CPUThrottledSeconds: float64(st.CPU.Throttling.ThrottledTime) / 1e9,
		MemoryUsageBytes:    float64(st.Memory.Usage),
	}
	// The working set is what the kernel cannot reclaim without swapping:
	// usage minus inactive page cache. cgroup v1 names the hierarchical
	// figure total_inactive_file; cgroup v2 has only inactive_file.
	inactive, ok := st.Memory.Stats["total_inactive_file"]
	if !ok {
		inactive = st.Memory.Stats["inactive_file"]
	}
	if inactive < st.Memory.Usage {
		s.MemoryWorkingSetBytes = float64(st.Memory.Usage - inactive)
	}
	// Page cache: v1 reports it as cache, v2 as file.
	if cache, ok := st.Memory.Stats["cache"]; ok {
		s.MemoryCacheBytes = float64(cache)
	} else {
		s.MemoryCacheBytes = float64(st.Memory.Stats["file"])
	}
	s.MemoryLimitBytes = effectiveMemoryLimit(st.Memory.Limit, cr.Limits, taskMemory)

	for _, e := range st.Blkio.ServiceBytes {
		// cgroup v1 spells the ops "Read"/"Write" and adds Sync, Async,
		// Discard and Total rows; cgroup v2 has only "read"/"write".
		switch strings.ToLower(e.Op) {
		case "read":
			s.BlockReadBytes += float64(e.Value)
		case "write":
			s.BlockWriteBytes += float64(e.Value)
		}
	}
	if st.PIDs.Current != nil {
		s.HasPIDs = true
		s.PIDs = float64(*st.PIDs.Current)
	}
	return s
}

// effectiveMemoryLimit is the limit the container is really held to: the
// cgroup's, unless it is unlimited, in which case the container's hard limit
// or, failing that, the task's applies.
func effectiveMemoryLimit(cgroup uint64, container *limits, taskMemory float64) float64 {
	if cgroup > 0 && cgroup < unlimitedMemory {
		return float64(cgroup)
	}
	if container != nil && deref(container.Memory) > 0 {
		return *container.Memory * mib
	}
	return taskMemory
}

func translateNetworks(in map[string]networkCounters) []collector.NetworkStats {
	if len(in) == 0 {
		return nil
	}
	out := make([]collector.NetworkStats, 0, len(in))
	for name, n := range in {
		out = append(out, collector.NetworkStats{
			Interface: name,
			RxBytes:   float64(n.RxBytes), RxPackets: float64(n.RxPackets),
			RxErrors: float64(n.RxErrors), RxDropped: float64(n.RxDropped),
			TxBytes: float64(n.TxBytes), TxPackets: float64(n.TxPackets),
			TxErrors: float64(n.TxErrors), TxDropped: float64(n.TxDropped),
		})
	}
	slices.SortFunc(out, func(a, b collector.NetworkStats) int { return strings.Compare(a.Interface, b.Interface) })
	return out
}

// networkMode is the task's network mode, read from the first container that
// reports one.
func networkMode(cs []containerResponse) string {
	for _, c := range cs {
		for _, n := range c.Networks {
			if n.NetworkMode != "" {
				return n.NetworkMode
			}
		}
	}
	return ""
}

// sharesNetwork reports whether all containers of a task see the same
// interfaces. In awsvpc mode they share the task's ENI and in host mode the
// instance's; only bridge (and none) give each container its own eth0.
// Fargate is always awsvpc, even where a response omits Networks; elsewhere
// an unknown mode is treated as per-container, which can repeat counters but
// never hides any.
func sharesNetwork(mode, launchType string) bool {
	return mode == "awsvpc" || mode == "host" || (mode == "" && launchType == "FARGATE")
}

func state(known string) collector.ContainerState {
	switch known {
	case "RUNNING", "RESOURCES_PROVISIONED":
		return collector.StateRunning
	case "STOPPED":
		return collector.StateStopped
	default:
		return collector.StatePending
	}
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
