package collector

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecswatch/ecswatch/internal/ecsvocab"
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
	// Services from the standalone collector, ordered by cluster and name.
	Services []*Service
	// Events counts what happened, by kind, identity, container and label.
	Events []EventCount
	// APICalls counts AWS API calls by service, operation and outcome.
	APICalls []APICallCount
	// Counts holds ecswatch's other counters, by name and label.
	Counts []DaemonCount
	// Insights holds the latest Container Insights datapoints, ordered by
	// metric (see InsightsFor).
	Insights []InsightsSample
	// Collectors holds one health record per registered collector, by name.
	Collectors []CollectorHealth
	// Clusters from the standalone collector, ordered by name (cluster.go).
	Clusters []*Cluster

	tasksByID map[string]*Task
}

// InsightsFor returns the Container Insights samples of one CloudWatch
// metric: exporters walk them family by family, and a large cluster has tens
// of thousands of samples.
func (s *Snapshot) InsightsFor(metric string) []InsightsSample {
	first, _ := slices.BinarySearchFunc(s.Insights, metric, func(in InsightsSample, m string) int { return strings.Compare(in.Metric, m) })
	last := first
	for last < len(s.Insights) && s.Insights[last].Metric == metric {
		last++
	}
	return s.Insights[first:last]
}

// Task returns the task with ID id, or nil. Exporters use it to find a
// sample's task from its identity.
func (s *Snapshot) Task(id string) *Task { return s.tasksByID[id] }

// Store keeps the latest data of each source and publishes a merged Snapshot
// after every change. Writers are serialised; readers never block.
type Store struct {
	now func() time.Time

	mu        sync.Mutex // serialises writers
	tasks     map[string][]*Task
	services  map[string][]*Service
	insights  map[string][]InsightsSample // by source, each ordered by metric
	health    map[string]CollectorHealth
	counts    map[countKey]uint64
	calls     map[APICallCount]uint64 // keyed with Count zero
	daemon    map[DaemonCount]uint64  // likewise
	seen      map[string]*seenEvent   // by kind and event ID
	subs      []subscriber
	lastPrune time.Time
	exported  map[string]time.Time // by exporter: the newest snapshot it delivered

	clusters map[string][]*Cluster // by source (cluster.go)

	current atomic.Pointer[Snapshot]
	// published is closed, and replaced, at every publish.
	published atomic.Pointer[chan struct{}]
}

// NewStore returns an empty Store. now is the clock (time.Now when nil).
func NewStore(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{
		now: now, tasks: map[string][]*Task{}, services: map[string][]*Service{}, health: map[string]CollectorHealth{},
		counts: map[countKey]uint64{}, calls: map[APICallCount]uint64{}, daemon: map[DaemonCount]uint64{}, seen: map[string]*seenEvent{},
		exported: map[string]time.Time{}, insights: map[string][]InsightsSample{},
		clusters: map[string][]*Cluster{},
	}
	s.current.Store(&Snapshot{Time: now()})
	published := make(chan struct{})
	s.published.Store(&published)
	return s
}

// Published returns a channel closed when the next snapshot is published:
// what lets an exporter render once per snapshot, never in a scrape.
func (s *Store) Published() <-chan struct{} { return *s.published.Load() }

// Snapshot returns the latest published snapshot. It never returns nil.
func (s *Store) Snapshot() *Snapshot { return s.current.Load() }

// Contribution is what one collection of a source observed, which the Store
// applies in one publish. A nil slice leaves the source's data of that kind
// as it was; an empty one clears it.
type Contribution struct {
	// Tasks, Services and Insights replace what the source contributed
	// before. The Store takes ownership: the collector must not modify them
	// afterwards. Services of several sources are merged by cluster and name.
	Tasks    []*Task
	Services []*Service
	Insights []InsightsSample
	// Events are counted once per ID and passed on to the push exporters;
	// Notify events are only passed on, for a source that keeps its own
	// counts (the sidecar's OOM kills).
	Events []Event
	Notify []Event
	// Counts add to ecswatch's own counters: by counter name, then label.
	Counts map[string]map[string]uint64
	// Clusters replace what the source contributed before, like Services.
	Clusters []*Cluster
}

// Apply applies what source observed, in one publish, and returns the events
// counted for the first time and the time of the first snapshot that holds
// them (an exporter that delivered that snapshot, or a later one, delivered
// them). All of a source's data goes stale together: see DropSource.
func (s *Store) Apply(source string, c Contribution) (fresh []Event, at time.Time) {
	if c.Insights != nil {
		byMetric := func(a, b InsightsSample) int { return strings.Compare(a.Metric, b.Metric) }
		if !slices.IsSortedFunc(c.Insights, byMetric) {
			slices.SortStableFunc(c.Insights, byMetric)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	if c.Tasks != nil {
		s.tasks[source], changed = c.Tasks, true
	}
	if c.Services != nil {
		s.services[source], changed = c.Services, true
	}
	if c.Insights != nil {
		s.insights[source], changed = c.Insights, true
	}
	if c.Clusters != nil {
		s.clusters[source], changed = c.Clusters, true
	}
	for name, byLabel := range c.Counts {
		for label, n := range byLabel {
			s.daemon[DaemonCount{Name: name, Label: label}] += n
			changed = true
		}
	}
	var notify []Event
	now := s.now()
	s.pruneSeenLocked(now)
	for _, ev := range c.Events {
		se := s.seenLocked(ev, now)
		if se.counted {
			continue
		}
		se.counted, changed = true, true
		s.counts[countKey{ev.Kind, ev.Identity, ev.Container, ev.Label}]++
		fresh = append(fresh, ev)
		if !se.notified {
			se.notified = true
			notify = append(notify, ev)
		}
	}
	for _, ev := range c.Notify {
		if se := s.seenLocked(ev, now); !se.notified {
			se.notified = true
			notify = append(notify, ev)
		}
	}
	if s.fanOutLocked(notify) {
		changed = true
	}
	if changed {
		s.publishLocked()
	}
	return fresh, s.current.Load().Time
}

// SetTasks replaces the tasks that source contributes; nil removes them.
func (s *Store) SetTasks(source string, tasks []*Task) {
	if tasks == nil {
		tasks = []*Task{}
	}
	s.Apply(source, Contribution{Tasks: tasks})
}

// DropSource removes everything source contributed, for data too stale to
// be shown as current.
func (s *Store) DropSource(source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tasks, source)
	delete(s.services, source)
	delete(s.insights, source)
	delete(s.clusters, source)
	s.publishLocked()
}

// SetServices replaces the services that source contributes.
func (s *Store) SetServices(source string, services []*Service) {
	if services == nil {
		services = []*Service{}
	}
	s.Apply(source, Contribution{Services: services})
}

// SetInsights replaces the Container Insights samples source contributes.
func (s *Store) SetInsights(source string, samples []InsightsSample) {
	if samples == nil {
		samples = []InsightsSample{}
	}
	s.Apply(source, Contribution{Insights: samples})
}

// DedupWindow is how long an event ID is remembered. Stopped tasks stay
// visible in the ECS API for about an hour and EventBridge may deliver late,
// so a day covers every path by which the same occurrence can come back.
const DedupWindow = 24 * time.Hour

// DroppedMetric counts what an exporter could not take in time.
const DroppedMetric = "ecswatch_exporter_dropped_total"

type subscriber struct {
	name string
	ch   chan Event
}

// Subscribe returns a channel that receives every new event (counted or
// only notified), for a push exporter called name. The channel holds buffer
// events; when it is full, events are dropped and counted in
// ecswatch_exporter_dropped_total{exporter=name}, so that a slow exporter
// never holds up collection.
func (s *Store) Subscribe(name string, buffer int) <-chan Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan Event, buffer)
	s.subs = append(s.subs, subscriber{name: name, ch: ch})
	return ch
}

// Drain calls fn for every event already waiting on a subscription, without
// waiting for more: a push exporter's last act before it shuts down.
func Drain(events <-chan Event, fn func(Event)) {
	for {
		select {
		case ev := <-events:
			fn(ev)
		default:
			return
		}
	}
}

// Notify passes events to subscribers without counting them (Apply's
// Notify). An event whose ID was already passed on, by Notify or Record, is
// not passed on again: a kill that the sidecar and the standalone collector
// of one process both see reaches each push exporter once.
func (s *Store) Notify(events ...Event) { s.Apply("", Contribution{Notify: events}) }

// seenEvent is what the Store did with one event ID.
type seenEvent struct {
	at       time.Time
	counted  bool
	notified bool
}

// pruneSeenLocked forgets event IDs older than DedupWindow, once an hour.
func (s *Store) pruneSeenLocked(now time.Time) {
	if now.Sub(s.lastPrune) <= time.Hour {
		return
	}
	for id, se := range s.seen {
		if now.Sub(se.at) > DedupWindow {
			delete(s.seen, id)
		}
	}
	s.lastPrune = now
}

// seenLocked returns the record of ev's ID, creating it as seen at now.
func (s *Store) seenLocked(ev Event, now time.Time) *seenEvent {
	key := string(ev.Kind) + "\x00" + ev.ID
	se := s.seen[key]
	if se == nil {
		se = &seenEvent{at: now}
		s.seen[key] = se
	}
	return se
}

// fanOutLocked offers events to every subscriber and reports whether any
// was dropped.
func (s *Store) fanOutLocked(events []Event) bool {
	dropped := false
	for _, sub := range s.subs {
		for _, ev := range events {
			select {
			case sub.ch <- ev:
			default:
				s.daemon[DaemonCount{Name: DroppedMetric, Label: sub.name}]++
				dropped = true
			}
		}
	}
	return dropped
}

type countKey struct {
	kind      EventKind
	identity  Identity
	container string
	label     string
}

// Record counts events not counted before and returns those that were new,
// in order (Apply's Events). An event whose ID was counted within
// DedupWindow changes nothing; one only notified before is counted but not
// passed on again.
func (s *Store) Record(events ...Event) []Event {
	fresh, _ := s.Apply("", Contribution{Events: events})
	return fresh
}

// Count adds n to one of ecswatch's own counters and publishes.
func (s *Store) Count(name, label string, n uint64) {
	s.CountByLabel(name, map[string]uint64{label: n})
}

// CountByLabel adds to several labels of one of ecswatch's own counters and
// publishes once, for a source that counts a batch at a time.
func (s *Store) CountByLabel(name string, byLabel map[string]uint64) {
	if len(byLabel) > 0 {
		s.Apply("", Contribution{Counts: map[string]map[string]uint64{name: byLabel}})
	}
}

// CountAPICall counts one AWS API call. Calls are counted often and read
// rarely, so the snapshot picks them up at the next publish.
func (s *Store) CountAPICall(service, operation, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[APICallCount{Service: service, Operation: operation, Outcome: outcome}]++
}

// SetHealth records the health of one collector.
func (s *Store) SetHealth(h CollectorHealth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health[h.Name] = h
	s.publishLocked()
}

func (s *Store) publishLocked() {
	snap := &Snapshot{Time: s.now(), Insights: s.mergedInsightsLocked()}
	for _, ts := range s.tasks {
		snap.Tasks = append(snap.Tasks, ts...)
	}
	snap.tasksByID = make(map[string]*Task, len(snap.Tasks))
	for _, t := range snap.Tasks {
		snap.tasksByID[t.ID] = t
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
	snap.Services = mergeServices(s.services)
	snap.Clusters = mergeClusters(s.clusters)
	for k, n := range s.counts {
		snap.Events = append(snap.Events, EventCount{Kind: k.kind, Identity: &k.identity, Container: k.container, Label: k.label, Count: n})
	}
	snap.Events = s.appendBornLocked(snap.Events, snap.Services)
	for k, n := range s.calls {
		k.Count = n
		snap.APICalls = append(snap.APICalls, k)
	}
	slices.SortFunc(snap.APICalls, func(a, b APICallCount) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Operation, b.Operation), strings.Compare(a.Outcome, b.Outcome))
	})
	for k, n := range s.daemon {
		k.Count = n
		snap.Counts = append(snap.Counts, k)
	}
	slices.SortFunc(snap.Counts, func(a, b DaemonCount) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Label, b.Label))
	})
	for _, h := range s.health {
		snap.Collectors = append(snap.Collectors, h)
	}
	slices.SortFunc(snap.Collectors, func(a, b CollectorHealth) int { return strings.Compare(a.Name, b.Name) })
	s.current.Store(snap)
	next := make(chan struct{})
	close(*s.published.Swap(&next))
}

// appendBornLocked adds a zero count for every counter whose subject is
// known but which has counted nothing yet: a service's deployment failures
// (one series per cause: four, a bounded cost for alerting on the first of
// each), its failed rollbacks, and the OOM kills of its tasks' containers. A counter that is first
// exported at 1 shows Prometheus no increase, and an alert on increase()
// would miss exactly the first event.
//
// Counters with a reason label (placement failures, stopped tasks) are not
// born this way: one series per service and possible reason would multiply
// the series for nothing. README says how their alerts and panels see the
// first event.
func (s *Store) appendBornLocked(events []EventCount, services []*Service) []EventCount {
	var id *Identity // shared by the counters born for one subject
	born := func(k countKey) {
		if _, ok := s.counts[k]; ok {
			return
		}
		if id == nil || *id != k.identity {
			shared := k.identity
			id = &shared
		}
		events = append(events, EventCount{Kind: k.kind, Identity: id, Container: k.container, Label: k.label})
	}
	for _, svc := range services {
		service := svc.Identity()
		for _, cause := range ecsvocab.FailureCauses {
			born(countKey{kind: EventDeploymentFailed, identity: service, label: cause})
		}
		born(countKey{kind: EventRollbackFailed, identity: service})
		for _, tc := range svc.TaskContainers {
			born(countKey{kind: EventOOMKill, identity: Identity{Cluster: svc.Cluster, Service: svc.Name, Family: tc.Family}, container: tc.Name})
		}
	}
	// Two services cannot share a subject, but a subject listed by a
	// service can repeat if its tasks list a container twice.
	return slices.CompactFunc(sortedEvents(events), func(a, b EventCount) bool {
		return a.Kind == b.Kind && *a.Identity == *b.Identity && a.Container == b.Container && a.Label == b.Label
	})
}

func sortedEvents(events []EventCount) []EventCount {
	slices.SortFunc(events, func(a, b EventCount) int {
		return cmp.Or(strings.Compare(string(a.Kind), string(b.Kind)), compareIdentity(*a.Identity, *b.Identity),
			strings.Compare(a.Container, b.Container), strings.Compare(a.Label, b.Label))
	})
	return events
}

// mergedInsightsLocked is every source's Container Insights samples, ordered
// by metric; one source's slice is used as it is.
func (s *Store) mergedInsightsLocked() []InsightsSample {
	switch len(s.insights) {
	case 0:
		return nil
	case 1:
		for _, in := range s.insights {
			return in
		}
	}
	var all []InsightsSample
	for _, src := range slices.Sorted(maps.Keys(s.insights)) {
		all = append(all, s.insights[src]...)
	}
	slices.SortStableFunc(all, func(a, b InsightsSample) int { return strings.Compare(a.Metric, b.Metric) })
	return all
}

// mergeServices lists every source's services, one per cluster and name: a
// second source reading the same service (ECS deployments beside task sets,
// say) enriches it rather than duplicating its series. Sources are applied
// in name order, each field a later source sets replacing the earlier's.
// The result is sorted by cluster and name.
func mergeServices(bySource map[string][]*Service) []*Service {
	sources := slices.Sorted(maps.Keys(bySource))
	type key struct{ cluster, name string }
	at := map[key]int{} // index in out
	var out []*Service
	for _, src := range sources {
		for _, svc := range bySource[src] {
			k := key{svc.Cluster, svc.Name}
			i, ok := at[k]
			if !ok {
				at[k] = len(out)
				out = append(out, svc)
				continue
			}
			// Services are owned by the Store and shared by snapshots:
			// merge into a copy.
			m := mergeFields(*out[i], *svc)
			out[i] = &m
		}
	}
	slices.SortFunc(out, func(a, b *Service) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Name, b.Name))
	})
	return out
}

// mergeFields returns base with every field that over sets (non-zero)
// taken from over.
func mergeFields[T any](base, over T) T {
	b, o := reflect.ValueOf(&base).Elem(), reflect.ValueOf(over)
	for i := range b.NumField() {
		if f := o.Field(i); !f.IsZero() {
			b.Field(i).Set(f)
		}
	}
	return base
}

func compareIdentity(a, b Identity) int {
	return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Service, b.Service),
		strings.Compare(a.Family, b.Family), strings.Compare(a.Revision, b.Revision), strings.Compare(a.TaskID, b.TaskID))
}

// Exported records that exporter name delivered the snapshot published at t:
// a scrape was served it, or a push sent it. Sources whose input must not be
// lost (an SQS message is deleted only once its effect has left the process)
// ask ExportedThrough.
func (s *Store) Exported(name string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.After(s.exported[name]) {
		s.exported[name] = t
	}
}

// ExportedThrough returns the time of the newest snapshot that every
// exporter which has delivered anything has delivered, or zero when none
// has. An exporter that never delivers (a /metrics nobody scrapes) does not
// hold the others back.
func (s *Store) ExportedThrough() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var through time.Time
	for _, t := range s.exported {
		if through.IsZero() || t.Before(through) {
			through = t
		}
	}
	return through
}
