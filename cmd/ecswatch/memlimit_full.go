//go:build !sidecar

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/ecswatch/ecswatch/collector/taskmeta"
)

// setMemoryLimit sets the Go runtime's soft memory limit to ratio of the
// container's memory limit, as Prometheus 3 does by default
// (--auto-gomemlimit): near the limit the garbage collector runs more often
// rather than the kernel killing the task, and where the live heap is well
// below it (ecswatch's is), the process stays under it. The limit is the
// container's cgroup's, else, in an ECS task, the task's (see
// taskMemoryLimit). Without either, or with GOMEMLIMIT or AUTOMEMLIMIT=off
// in the environment, nothing changes. The library logs what it set, or
// why it set nothing; a failure leaves the Go runtime's default, as in
// Prometheus.
func setMemoryLimit(ratio float64, logger *slog.Logger) {
	provider := memlimit.FromCgroup
	if endpoint := os.Getenv(taskmeta.EnvEndpoint); endpoint != "" {
		provider = memlimit.ApplyFallback(provider, taskMemoryLimit(endpoint, metadataTimeout))
	}
	_, _ = memlimit.SetGoMemLimitWithOpts(memlimit.WithRatio(ratio), memlimit.WithProvider(provider), memlimit.WithLogger(logger))
}

// metadataTimeout bounds the start-up's one read of the task metadata.
const metadataTimeout = 2 * time.Second

// taskMemoryLimit reads the task's memory limit from the task metadata
// endpoint. A container with no memory limit of its own (the usual case on
// Fargate, where the task's is required) runs in a cgroup without one: the
// task's limit is on its parent, which cgroup v2 namespaces hide from the
// container, so the library finds no limit there.
func taskMemoryLimit(endpoint string, timeout time.Duration) memlimit.Provider {
	return func() (uint64, error) {
		// The client's timeout bounds its one request.
		limit, err := taskmeta.NewClient(endpoint, timeout).TaskMemoryLimitBytes(context.Background())
		if err != nil {
			return 0, fmt.Errorf("task memory limit: %w", err)
		}
		if limit <= 0 {
			return 0, memlimit.ErrNoLimit
		}
		return uint64(limit), nil
	}
}
