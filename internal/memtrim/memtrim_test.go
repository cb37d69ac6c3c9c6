package memtrim

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// A sidecar drops its start-up pages once, after its first burst, and its
// free heap after every burst; it stops with its context.
func TestSidecarTrimsAfterEachBurstAndTheStartupPagesOnce(t *testing.T) {
	t.Parallel()
	var releases, frees atomic.Int32
	asked, answer := make(chan struct{}), make(chan struct{})
	published := make(chan struct{})
	close(published) // every burst has begun by the time run waits for it
	next := func() <-chan struct{} {
		asked <- struct{}{}
		<-answer // run waits here while the test counts
		return published
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx, next, Options{Settle: time.Millisecond, Gap: time.Millisecond}, steps{
			release: func() (int64, error) { releases.Add(1); return 4096, nil },
			free:    func() { frees.Add(1) },
		}, slog.New(slog.DiscardHandler))
	}()
	for burst := range 4 {
		<-asked // run asks for the next burst before trimming the last
		if got, want := frees.Load(), int32(max(burst-1, 0)); got != want {
			t.Fatalf("asking for burst %d: %d trims, want %d", burst+1, got, want)
		}
		answer <- struct{}{}
	}
	cancel()
	go func() {
		for {
			select {
			case <-asked:
				answer <- struct{}{}
			case <-done:
				return
			}
		}
	}()
	<-done
	if got := releases.Load(); got != 1 {
		t.Errorf("start-up pages released %d times, want once", got)
	}
}

// A sidecar polling faster than the gap trims once per gap, and a publish
// within a gap is trimmed after it rather than forgotten.
func TestSidecarPollingEverySecondTrimsOncePerGap(t *testing.T) {
	t.Parallel()
	const gap = 20 * time.Millisecond
	published := make(chan struct{})
	close(published) // a poll has always just published
	trims := make(chan time.Time, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run(ctx, func() <-chan struct{} { return published }, Options{Settle: time.Millisecond, Gap: gap}, steps{
		release: func() (int64, error) { return 0, nil },
		free:    func() { trims <- time.Now() },
	}, slog.New(slog.DiscardHandler))
	last := <-trims
	for range 3 {
		next := <-trims
		if d := next.Sub(last); d < gap {
			t.Fatalf("trims %v apart, want at least %v", d, gap)
		}
		last = next
	}
}

// A sidecar scraped without pause by many scrapers keeps its free heap,
// since returning it would hold up their scrapes, until they stop; its
// start-up pages go all the same.
func TestSidecarScrapedWithoutPauseIsTrimmedOnlyWhenQuiet(t *testing.T) {
	t.Parallel()
	published := make(chan struct{})
	close(published)
	var busy atomic.Bool
	busy.Store(true)
	var asks, releases atomic.Int32
	trimmed := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run(ctx, func() <-chan struct{} { return published }, Options{
		Settle: time.Millisecond, Gap: time.Hour,
		Busy: func() bool { asks.Add(1); return busy.Load() },
	}, steps{
		release: func() (int64, error) { releases.Add(1); return 0, nil },
		free:    func() { trimmed <- struct{}{} },
	}, slog.New(slog.DiscardHandler))
	for asks.Load() < 3 { // it has looked, and looked again
		select {
		case <-trimmed:
			t.Fatal("trimmed while busy")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if releases.Load() != 1 {
		t.Errorf("start-up pages released %d times while busy, want once", releases.Load())
	}
	busy.Store(false)
	<-trimmed
}

// A sidecar whose collector never publishes stops all the same.
func TestSidecarWithoutBurstsStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, func() <-chan struct{} { return nil }, Options{Settle: time.Second, Gap: 10 * time.Second}, slog.New(slog.DiscardHandler))
	}()
	cancel()
	<-done
}
