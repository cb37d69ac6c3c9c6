// Package memtrim hands back to the kernel the memory a sidecar holds but
// does not use between its bursts of work: a poll of the task metadata
// endpoint and one render every interval, then seconds of nothing.
//
// Two kinds of memory stay resident for no use there. Pages of the
// executable that only package initialisation and start-up touched stay
// mapped for the life of the process, and the kernel maps each page a
// fault needs with its neighbours (fault-around), so start-up alone leaves
// most of the binary resident. And the heap's free pages outlive each
// burst until the runtime's background scavenger, paced for large heaps,
// gets to them. Together they are a fifth of the sidecar's resident memory
// (docs/benchmarks.md).
package memtrim

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"
)

// Run trims after bursts of work, until ctx is done. A burst begins when
// the channel next returns is closed (a Store's Published), and is over
// settle later: then the heap's free pages go back to the kernel
// (debug.FreeOSMemory: a forced collection of a heap of a few MiB, and
// the page faults that bring back what the next burst uses), and the
// first time also the executable's pages (ReleaseStartupPages), by which
// time start-up and the first collection are done. Trims are at least gap
// apart: a sidecar polling every second would otherwise spend more on
// them than on its work.
func Run(ctx context.Context, next func() <-chan struct{}, settle, gap time.Duration, logger *slog.Logger) {
	run(ctx, next, settle, gap, steps{release: ReleaseStartupPages, free: debug.FreeOSMemory}, logger)
}

// steps are what a trim does; tests replace them.
type steps struct {
	release func() (int64, error)
	free    func()
}

func run(ctx context.Context, next func() <-chan struct{}, settle, gap time.Duration, do steps, logger *slog.Logger) {
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
		if !sleep(settle) {
			return
		}
		// A publish from now on is the next burst, even one within gap.
		burst = next()
		if first {
			released, err := do.release()
			if err != nil {
				// The pages stay mapped: a cost, never a fault.
				logger.Debug("cannot release the executable's start-up pages", "err", err)
			} else {
				logger.Debug("released the executable's start-up pages", "bytes", released)
			}
		}
		do.free()
		if !sleep(gap) {
			return
		}
	}
}
