package collector

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is an immutable view of everything collected so far. Readers must
// not modify it or anything it points to: it is shared by every exporter and
// every concurrent scrape.
type Snapshot struct {
	// Time is when the snapshot was published.
	Time time.Time
	// Tasks from every source, ordered by cluster, family and task ARN so that
	// exporters produce stable output.
	Tasks []*Task
	// Collectors holds one health record per registered collector, by name.
	Collectors []CollectorHealth
}

// Store keeps the latest data of each source and publishes a merged Snapshot
// after every change. Writers are serialised; readers never block.
type Store struct {
	now func() time.Time

	mu     sync.Mutex // serialises writers
	tasks  map[string][]*Task
	health map[string]CollectorHealth

	current atomic.Pointer[Snapshot]
}

// NewStore returns an empty Store. now is the clock (time.Now when nil).
func NewStore(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{now: now, tasks: map[string][]*Task{}, health: map[string]CollectorHealth{}}
	s.current.Store(&Snapshot{Time: now()})
	return s
}

// Snapshot returns the latest published snapshot. It never returns nil.
func (s *Store) Snapshot() *Snapshot { return s.current.Load() }

// SetTasks replaces the tasks that source contributes. The Store takes
// ownership of tasks: the caller must not modify them afterwards.
func (s *Store) SetTasks(source string, tasks []*Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tasks == nil {
		delete(s.tasks, source)
	} else {
		s.tasks[source] = tasks
	}
	s.publishLocked()
}

// DropSource removes everything source contributed, for data too stale to
// be shown as current.
func (s *Store) DropSource(source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tasks, source)
	s.publishLocked()
}

// SetHealth records the health of one collector.
func (s *Store) SetHealth(h CollectorHealth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[h.Name] = h
	s.publishLocked()
}

func (s *Store) publishLocked() {
	snap := &Snapshot{Time: s.now()}
	for _, ts := range s.tasks {
		snap.Tasks = append(snap.Tasks, ts...)
	}
	slices.SortFunc(snap.Tasks, func(a, b *Task) int {
		if c := strings.Compare(a.Cluster, b.Cluster); c != 0 {
			return c
		}
		if c := strings.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		return strings.Compare(a.ARN, b.ARN)
	})
	for _, h := range s.health {
		snap.Collectors = append(snap.Collectors, h)
	}
	slices.SortFunc(snap.Collectors, func(a, b CollectorHealth) int { return strings.Compare(a.Name, b.Name) })
	s.current.Store(snap)
}
