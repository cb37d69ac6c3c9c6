package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Collector reads one source and publishes what it read to the Store it was
// built with. Collect must honour ctx and must not publish partial garbage: on
// error the Store keeps the collector's last good data.
type Collector interface {
	Name() string
	Collect(ctx context.Context) error
}

// FinalCollector is a Collector whose last collection, on shutdown, differs
// from the others: the SQS consumer must not take new messages from the
// queue once the process is stopping, since it could not export them.
type FinalCollector interface {
	Collector
	CollectFinal(ctx context.Context) error
}

// Flusher is a Collector with work left once the exporters have delivered
// the final state, such as deleting the queue messages they delivered.
type Flusher interface {
	Collector
	Flush(ctx context.Context) error
}

// Job is a Collector with its schedule.
type Job struct {
	Collector Collector
	// Interval between the starts of two runs while the source is healthy.
	Interval time.Duration
	// Timeout bounds one run.
	Timeout time.Duration
	// StaleAfter is how long a failing source's last data is still served;
	// after that it is dropped rather than shown as if it were current.
	// Zero keeps it forever.
	StaleAfter time.Duration
	// MaxBackoff caps the delay between retries of a failing collector;
	// zero means maxBackoffFactor intervals. A collector that runs back to
	// back (the SQS consumer) needs a cap well above its interval.
	MaxBackoff time.Duration
}

// maxBackoffFactor caps the retry delay of a failing collector at this many
// intervals: slow enough not to hammer a struggling endpoint, quick enough to
// notice recovery within a few intervals.
const maxBackoffFactor = 4

// Scheduler runs jobs on their intervals and records their health in the
// Store. Each job runs in its own goroutine, so a slow source never delays
// another one.
type Scheduler struct {
	store  *Store
	logger *slog.Logger
	jobs   []Job
	now    func() time.Time

	mu     sync.Mutex
	health map[string]*CollectorHealth
	runMu  map[string]*sync.Mutex // one run of a collector at a time
}

// NewScheduler returns a Scheduler for jobs.
func NewScheduler(store *Store, logger *slog.Logger, jobs ...Job) *Scheduler {
	s := &Scheduler{
		store:  store,
		logger: logger,
		jobs:   jobs,
		now:    time.Now,
		health: map[string]*CollectorHealth{},
		runMu:  map[string]*sync.Mutex{},
	}
	for _, j := range jobs {
		name := j.Collector.Name()
		s.health[name] = &CollectorHealth{Name: name}
		s.runMu[name] = &sync.Mutex{}
		store.SetHealth(CollectorHealth{Name: name})
	}
	return s
}

// Run runs every job until ctx is cancelled, then returns once all runs in
// flight have finished.
func (s *Scheduler) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() { s.loop(ctx, j) })
	}
	wg.Wait()
}

// RunOnce runs every job once, concurrently, and waits for all of them. It is
// used for the last collection before shutdown, so it takes its own context,
// and a FinalCollector runs its CollectFinal.
func (s *Scheduler) RunOnce(ctx context.Context) {
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Go(func() { s.runJob(ctx, j, true) })
	}
	wg.Wait()
}

// Flush calls every Flusher's Flush, once the exporters have delivered the
// final state, and returns their errors joined.
func (s *Scheduler) Flush(ctx context.Context) error {
	var errs []error
	for _, j := range s.jobs {
		if f, ok := j.Collector.(Flusher); ok {
			if err := f.Flush(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// Ready reports whether every collector has succeeded at least once.
func (s *Scheduler) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.health {
		if h.LastSuccess.IsZero() {
			return false
		}
	}
	return true
}

func (s *Scheduler) loop(ctx context.Context, j Job) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		failures := s.runJob(ctx, j, false)
		timer.Reset(nextDelay(j.Interval, j.MaxBackoff, failures))
	}
}

// nextDelay doubles the interval for each consecutive failure, up to
// maxBackoff (maxBackoffFactor intervals when zero).
func nextDelay(interval, maxBackoff time.Duration, failures int) time.Duration {
	if maxBackoff <= 0 {
		maxBackoff = maxBackoffFactor * interval
	}
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, max(maxBackoff, interval))
}

// runJob runs one collection and records its outcome; it returns the number
// of consecutive failures so far.
func (s *Scheduler) runJob(ctx context.Context, j Job, final bool) int {
	name := j.Collector.Name()
	runMu := s.runMu[name]
	runMu.Lock()
	defer runMu.Unlock()

	runCtx := ctx
	if j.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, j.Timeout)
		defer cancel()
	}
	collect := j.Collector.Collect
	if fc, ok := j.Collector.(FinalCollector); ok && final {
		collect = fc.CollectFinal
	}
	start := s.now()
	err := collect(runCtx)
	took := s.now().Sub(start)
	if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// Shutting down: not a failure of the source.
		return 0
	}

	s.mu.Lock()
	h := s.health[name]
	wasUp, first, prevFailures := h.Up, h.LastSuccess.IsZero() && h.Errors == 0, h.ConsecutiveFailures
	h.LastDuration = took
	if err == nil {
		h.Up = true
		h.LastSuccess = start
		h.LastError = ""
		h.ConsecutiveFailures = 0
	} else {
		h.Up = false
		h.Errors++
		h.LastError = err.Error()
		h.ConsecutiveFailures++
	}
	snapshot := *h
	s.mu.Unlock()

	// Log transitions only: a source that stays down must not flood the log.
	switch {
	case err != nil && (wasUp || first):
		s.logger.Warn("collector down", "collector", name, "err", err)
	case err == nil && !wasUp && !first:
		s.logger.Info("collector recovered", "collector", name, "failed_runs", prevFailures)
	case err == nil && first:
		s.logger.Info("collector up", "collector", name, "duration", took)
	}

	if err != nil && j.StaleAfter > 0 && !snapshot.LastSuccess.IsZero() && s.now().Sub(snapshot.LastSuccess) > j.StaleAfter {
		s.store.DropSource(name)
	}
	s.store.SetHealth(snapshot)
	return snapshot.ConsecutiveFailures
}
