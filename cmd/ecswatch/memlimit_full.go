//go:build !sidecar

package main

import (
	"log/slog"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// setMemoryLimit sets the Go runtime's soft memory limit to ratio of the
// container's memory limit (its cgroup's), as Prometheus 3 does by default
// (--auto-gomemlimit): near the limit the garbage collector runs more often
// rather than the kernel killing the task, and where the live heap is well
// below it (ecswatch's is), the process stays under it. Without a cgroup
// limit, or with GOMEMLIMIT or AUTOMEMLIMIT=off in the environment, nothing
// changes. The library logs what it set, or why it set nothing; a failure
// leaves the Go runtime's default, as in Prometheus.
func setMemoryLimit(ratio float64, logger *slog.Logger) {
	_, _ = memlimit.SetGoMemLimitWithOpts(memlimit.WithRatio(ratio), memlimit.WithProvider(memlimit.FromCgroup), memlimit.WithLogger(logger))
}
