package prometheus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// Served records the newest snapshot a scrape of /metrics has been served,
// so that a daemon stopping on SIGTERM can keep serving until its final
// collection has been scraped: the kill that stops a task is seen by that
// collection and by nobody else.
type Served struct {
	onServed func(time.Time) // may be nil
	last     atomic.Int64    // when the last scrape was served, unix nanoseconds; 0 before the first

	mu     sync.Mutex
	newest time.Time     // the newest served snapshot's time
	wake   chan struct{} // closed and replaced at every scrape
}

// NewServed returns a Served that has seen no scrape. onServed, when not
// nil, is told the time of every snapshot a scrape was served.
func NewServed(onServed func(time.Time)) *Served {
	return &Served{onServed: onServed, wake: make(chan struct{})}
}

// record notes that a scrape was served the snapshot published at.
func (s *Served) record(published time.Time) {
	s.last.Store(time.Now().UnixNano())
	if s.onServed != nil {
		s.onServed(published)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if published.After(s.newest) {
		s.newest = published
	}
	close(s.wake)
	s.wake = make(chan struct{})
}

// Scraped reports whether /metrics has been scraped at all. A daemon nobody
// scrapes need not wait for a scrape.
func (s *Served) Scraped() bool { return s.last.Load() != 0 }

// Last is when the last scrape was served; the zero time before the first.
func (s *Served) Last() time.Time {
	if n := s.last.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Wait returns true once a scrape has been served snap or a later snapshot,
// or false when ctx ends first.
func (s *Served) Wait(ctx context.Context, snap *collector.Snapshot) bool {
	for {
		s.mu.Lock()
		done, wake := !s.newest.Before(snap.Time), s.wake
		s.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return false
		}
	}
}
