package taskmeta

import (
	"slices"
	"strings"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

const (
	mib = 1 << 20
	// cpuUnitsPerVCPU converts container-level CPU units to vCPUs.
	cpuUnitsPerVCPU = 1024
	// minCPUShares is Linux's minimum cpu.shares, which the ECS agent gives
	// a container with no cpu of its own.
	minCPUShares = 2
	// deviceMapperMajor is the block major number Linux gives device-mapper
	// devices (LVM, dm-crypt, thin pools) on the distributions ECS runs on.
	deviceMapperMajor = 253
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
		ID:               ecsvocab.ResourceID(tr.TaskARN),
		Cluster:          ecsvocab.ResourceID(tr.Cluster),
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

	var plumbing []collector.NetworkStats // interfaces seen only by the pause container
	for i := range tr.Containers {
		cr := &tr.Containers[i]
		st := stats[cr.DockerID]
		if !cr.normal() {
			if plumbing == nil && !st.empty() {
				plumbing = translateNetworks(st.Networks)
			}
			continue
		}
		c := translateContainer(cr)
		if !st.empty() {
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
	// On some platforms (older Fargate platform versions, awsvpc tasks on
	// EC2, bridge tasks with Service Connect) only the pause container's
	// stats carry the task's interfaces: its network namespace is the one
	// the task's containers join. It is plumbing, not a container, but its
	// counters are then the task's.
	if plumbing != nil && t.Networks == nil && !anyContainerNetworks(t.Containers) {
		t.Networks = plumbing
	}
	slices.SortFunc(t.Containers, func(a, b collector.Container) int { return strings.Compare(a.Name, b.Name) })
	return t
}

func anyContainerNetworks(cs []collector.Container) bool {
	return slices.ContainsFunc(cs, func(c collector.Container) bool { return c.Stats != nil && len(c.Stats.Networks) > 0 })
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
		// The agent reports the kernel's minimum CPU shares, 2, for a
		// container whose task definition sets no cpu (or 0); a share of 2
		// units means nothing else, so it reads as none set.
		if units := deref(cr.Limits.CPU); units > minCPUShares {
			c.CPULimitVCPUs = units / cpuUnitsPerVCPU
		}
		c.MemoryReservationBytes = deref(cr.Limits.Memory) * mib
	}
	if cr.RestartCount != nil {
		c.Restarts = *cr.RestartCount
	}
	if cr.Health != nil {
		c.HealthStatus = ecsvocab.HealthStatusLabel(cr.Health.Status)
	}
	return c
}

func translateStats(st *statsResponse, cr *containerResponse, taskMemory float64) *collector.ContainerStats {
	if st.windows() {
		return translateWindowsStats(st, cr, taskMemory)
	}
	s := &collector.ContainerStats{
		Read:                st.Read,
		CPUUsageSeconds:     float64(st.CPU.Usage.TotalUsage) / 1e9,
		HasCPUThrottled:     true,
		CPUThrottledSeconds: float64(st.CPU.Throttling.ThrottledTime) / 1e9,
	}
	if st.Memory.Usage != nil {
		usage := *st.Memory.Usage
		s.HasMemoryUsage, s.MemoryUsageBytes = true, float64(usage)
		// The working set is what the kernel cannot reclaim without
		// swapping: usage minus inactive page cache. cgroup v1 names the
		// hierarchical figure total_inactive_file; cgroup v2 has only
		// inactive_file.
		inactive, ok := st.Memory.Stats["total_inactive_file"]
		if !ok {
			inactive = st.Memory.Stats["inactive_file"]
		}
		s.HasMemoryWorkingSet = true
		if inactive < usage {
			s.MemoryWorkingSetBytes = float64(usage - inactive)
		}
	}
	// Page cache: v1 reports it as cache, v2 as file.
	if cache, ok := st.Memory.Stats["cache"]; ok {
		s.HasMemoryCache, s.MemoryCacheBytes = true, float64(cache)
	} else if file, ok := st.Memory.Stats["file"]; ok {
		s.HasMemoryCache, s.MemoryCacheBytes = true, float64(file)
	}
	s.MemoryLimitBytes = effectiveMemoryLimit(st.Memory.Limit, cr.Limits, taskMemory)
	s.HasBlockIO, s.BlockReadBytes, s.BlockWriteBytes = blockIO(st.Blkio.ServiceBytes)
	if st.PIDs.Current != nil {
		s.HasPIDs = true
		s.PIDs = float64(*st.PIDs.Current)
	}
	return s
}

// translateWindowsStats maps a Windows container's stats. Docker on Windows
// reports CPU time in 100 ns units, memory as commit and private working
// set (no cgroup usage, cache or limit), block I/O in storage_stats, and no
// throttling or PIDs: those series are absent.
func translateWindowsStats(st *statsResponse, cr *containerResponse, taskMemory float64) *collector.ContainerStats {
	s := &collector.ContainerStats{
		Read:             st.Read,
		CPUUsageSeconds:  float64(st.CPU.Usage.TotalUsage) / 1e7,
		MemoryLimitBytes: effectiveMemoryLimit(0, cr.Limits, taskMemory),
	}
	if st.Memory.Commit != nil {
		s.HasMemoryUsage, s.MemoryUsageBytes = true, float64(*st.Memory.Commit)
	}
	if st.Memory.PrivateWorkingSet != nil {
		s.HasMemoryWorkingSet, s.MemoryWorkingSetBytes = true, float64(*st.Memory.PrivateWorkingSet)
	}
	if st.Storage.ReadSizeBytes != nil || st.Storage.WriteSizeBytes != nil {
		s.HasBlockIO = true
		s.BlockReadBytes = float64(deref(st.Storage.ReadSizeBytes))
		s.BlockWriteBytes = float64(deref(st.Storage.WriteSizeBytes))
	}
	return s
}

// blockIO sums bytes read and written over the container's block devices.
// A device-mapper device (LVM, an encrypted or thin-provisioned volume) sits
// on top of another listed device, so the same bytes appear on both: where
// any other device is listed, device-mapper devices are left out. cgroup v1
// spells the ops "Read"/"Write" and adds Sync, Async, Discard and Total
// rows; cgroup v2 has only "read"/"write". No entries at all (null or [], as
// Fargate reports) is no reading, not zero bytes.
func blockIO(entries []blkioEntry) (ok bool, read, write float64) {
	if len(entries) == 0 {
		return false, 0, 0
	}
	skipDM := slices.ContainsFunc(entries, func(e blkioEntry) bool { return e.Major != deviceMapperMajor })
	for _, e := range entries {
		if skipDM && e.Major == deviceMapperMajor {
			continue
		}
		switch strings.ToLower(e.Op) {
		case "read":
			read += float64(e.Value)
		case "write":
			write += float64(e.Value)
		}
	}
	return true, read, write
}

// effectiveMemoryLimit is the limit the container is really held to: the
// smallest of its cgroup's (unless unlimited), its own hard limit and the
// task's. A container cannot outgrow its task, and on Fargate the cgroup can
// report the micro-VM's memory, larger than the task's.
func effectiveMemoryLimit(cgroup uint64, container *limits, taskMemory float64) float64 {
	limit := 0.0
	lower := func(v float64) {
		if v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
	}
	if cgroup < unlimitedMemory {
		lower(float64(cgroup))
	}
	if container != nil {
		lower(deref(container.Memory) * mib)
	}
	lower(taskMemory)
	return limit
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

// deref is *p, or 0 for a field the payload left out.
func deref[T float64 | uint64](p *T) T {
	if p == nil {
		return 0
	}
	return *p
}
