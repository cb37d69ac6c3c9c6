package collector

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

func TestNextDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failures int
		want     time.Duration
	}{{0, 10 * time.Second}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {4, 40 * time.Second}, {100, 40 * time.Second}}
	for _, tt := range tests {
		if got := nextDelay(10*time.Second, 0, tt.failures); got != tt.want {
			t.Errorf("nextDelay(10s, %d) = %s, want %s", tt.failures, got, tt.want)
		}
	}
	if got := nextDelay(10*time.Millisecond, 30*time.Second, 20); got != 30*time.Second {
		t.Errorf("with MaxBackoff 30s, 20 failures wait %s", got)
	}
}

// scripted is a collector whose outcome the test sets.
type scripted struct {
	store *Store
	fail  atomic.Bool
	runs  atomic.Int64
}

func (s *scripted) Name() string { return "scripted" }

func (s *scripted) Collect(ctx context.Context) error {
	s.runs.Add(1)
	if s.fail.Load() {
		return errors.New("endpoint says no")
	}
	s.store.SetTasks("scripted", []*Task{{ARN: "arn:aws:ecs:r:1:task/c/t"}})
	return nil
}

func health(s *Store, name string) CollectorHealth {
	for _, h := range s.Snapshot().Collectors {
		if h.Name == name {
			return h
		}
	}
	return CollectorHealth{}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSchedulerDownAndRecovery: a failing source is marked down, its last
// data is still served, the failure is logged once however long it lasts,
// and the collector recovers by itself.
func TestSchedulerDownAndRecovery(t *testing.T) {
	t.Parallel()
	store := NewStore(nil)
	logs := &testutil.Logs{}
	c := &scripted{store: store}
	s := NewScheduler(store, logs.Logger(), Job{Collector: c, Interval: 5 * time.Millisecond, Timeout: time.Second})
	if s.Ready() {
		t.Fatal("ready before the first run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()

	waitFor(t, "first success", func() bool { return health(store, "scripted").Up })
	if !s.Ready() {
		t.Error("not ready after a success")
	}

	c.fail.Store(true)
	waitFor(t, "several failures", func() bool { return health(store, "scripted").Errors >= 3 })
	h := health(store, "scripted")
	if h.Up || h.LastError != "endpoint says no" {
		t.Errorf("health while failing = %+v", h)
	}
	if n := len(store.Snapshot().Tasks); n != 1 {
		t.Errorf("last good data dropped while failing: %d tasks", n)
	}
	if n := logs.Count("collector down"); n != 1 {
		t.Errorf("logged %d 'collector down' lines, want 1", n)
	}

	c.fail.Store(false)
	waitFor(t, "recovery", func() bool { return health(store, "scripted").Up })
	if n := logs.Count("collector recovered"); n != 1 {
		t.Errorf("logged %d 'collector recovered' lines, want 1", n)
	}
	cancel()
	<-done
}

// TestSchedulerStale: data older than StaleAfter is dropped rather than shown
// as current.
func TestSchedulerStale(t *testing.T) {
	t.Parallel()
	store := NewStore(nil)
	c := &scripted{store: store}
	s := NewScheduler(store, slog.New(slog.DiscardHandler), Job{Collector: c, Interval: time.Hour, StaleAfter: time.Minute})
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.RunOnce(t.Context())
	c.fail.Store(true)
	now = now.Add(30 * time.Second)
	s.RunOnce(t.Context())
	if len(store.Snapshot().Tasks) != 1 {
		t.Fatal("dropped data before StaleAfter")
	}
	now = now.Add(time.Minute)
	s.RunOnce(t.Context())
	if n := len(store.Snapshot().Tasks); n != 0 {
		t.Errorf("stale data still served: %d tasks", n)
	}
}

// TestSchedulerTimeout: a hanging source is cut off by the job's timeout.
func TestSchedulerTimeout(t *testing.T) {
	t.Parallel()
	store := NewStore(nil)
	s := NewScheduler(store, slog.New(slog.DiscardHandler), Job{Collector: hanging{}, Interval: time.Hour, Timeout: 20 * time.Millisecond})
	s.RunOnce(t.Context())
	if h := health(store, "hanging"); h.Up || h.Errors != 1 || !strings.Contains(h.LastError, "deadline exceeded") {
		t.Errorf("health = %+v, want one deadline error", h)
	}
}

type hanging struct{}

func (hanging) Name() string { return "hanging" }
func (hanging) Collect(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestStoreSnapshotsAreImmutable: a published snapshot does not change when
// sources publish again.
func TestStoreSnapshotsAreImmutable(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	s.SetTasks("a", []*Task{{ARN: "2", Family: "f"}})
	s.SetTasks("b", []*Task{{ARN: "1", Family: "f"}})
	before := s.Snapshot()
	s.SetTasks("a", nil)
	if len(before.Tasks) != 2 || before.Tasks[0].ARN != "1" {
		t.Errorf("old snapshot changed or unsorted: %+v", before.Tasks)
	}
	if len(s.Snapshot().Tasks) != 1 {
		t.Errorf("new snapshot has %d tasks, want 1", len(s.Snapshot().Tasks))
	}
}
