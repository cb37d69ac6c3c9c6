// Package memtrim hands back to the kernel the memory a sidecar holds but
// does not use between its bursts of work: a poll of the task metadata
// endpoint and one render every interval, then seconds of nothing.
//
// Two kinds of memory stay resident for no use there. Pages of the
// executable that only package initialisation and start-up touched stay
// mapped for the life of the process, and the kernel maps each page a
// fault needs with its neighbours (fault-around), so start-up alone leaves
// most of the binary resident. And the heap's free pages outlive each
// burst: the runtime's background scavenger keeps some back for the next
// allocations and returns the rest at 1% of a CPU. Together they were 2
// MiB of the sidecar's 13 (docs/benchmarks.md).
package memtrim

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"
)

// Options say when to trim.
type Options struct {
	// Settle is how long after a publish its burst of work is over.
	Settle time.Duration
	// Gap is the least time between trims: a sidecar polling every second
	// would otherwise spend more on them than on its work.
	Gap time.Duration
	// Busy, when set, reports that the process is serving requests: a trim
	// waits for a quiet moment, since its forced collection holds up the
	// requests in flight for milliseconds.
	Busy func() bool
}

// busyRetry is how soon a trim that found the process busy looks again:
// often enough to find the gaps between scrapes in lockstep.
const busyRetry = 100 * time.Millisecond

// Run trims after bursts of work, until ctx is done. A burst begins when
// the channel next returns is closed (a Store's Published), and is over
// o.Settle later. Then the first time the executable's pages go
// (ReleaseStartupPages), start-up and the first collection being done, and
// every time, once the process is not busy, the heap's free pages
// (debug.FreeOSMemory: a forced collection of a heap of a few MiB, and the
// page faults that bring back what the next burst uses).
func Run(ctx context.Context, next func() <-chan struct{}, o Options, logger *slog.Logger) {
	run(ctx, next, o, steps{release: ReleaseStartupPages, free: debug.FreeOSMemory}, logger)
}

// steps are what a trim does; tests replace them.
type steps struct {
	release func() (int64, error)
	free    func()
}

func run(ctx context.Context, next func() <-chan struct{}, o Options, do steps, logger *slog.Logger) {
	timer := time.NewTimer(0)
	<-timer.C
	sleep := func(d time.Duration) bool {
		timer.Reset(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
			return true
		}
	}
	burst := next()
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			return
		case <-burst:
		}
		if !sleep(o.Settle) {
			return
		}
		if first {
			// Not held back by Busy: it holds up nobody, and what
			// requests still run comes back as minor faults.
			released, err := do.release()
			if err != nil {
				// The pages stay mapped: a cost, never a fault.
				logger.Debug("cannot release the executable's start-up pages", "err", err)
			} else {
				logger.Debug("released the executable's start-up pages", "bytes", released)
			}
		}
		for o.Busy != nil && o.Busy() {
			if !sleep(busyRetry) {
				return
			}
		}
		// A publish from now on is the next burst, even one within gap.
		burst = next()
		do.free()
		if !sleep(o.Gap) {
			return
		}
	}
}
