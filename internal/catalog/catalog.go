// Package catalog is the metric catalogue: every metric ecswatch exports,
// under its Prometheus name, with its type, unit, help and labels, and the one
// walk that turns a collector.Snapshot into samples of those metrics.
//
// Exporters translate from here: the Prometheus exporter uses the names as
// they are, the Datadog and OTLP exporters map them to their own conventions.
// Keeping the walk in one place means a value is computed the same way for
// every backend.
package catalog

import (
	"slices"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Kind is the type of a metric.
type Kind int

// The metric kinds.
const (
	Gauge Kind = iota
	Counter
	// Info is a gauge that is always 1 and carries properties as labels.
	Info
)

func (k Kind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Info:
		return "info"
	default:
		return "gauge"
	}
}

// Scope says which identity a family's samples carry.
type Scope int

// The scopes.
const (
	// ScopeTask samples describe a task and carry its identity labels.
	ScopeTask Scope = iota
	// ScopeContainer samples describe a container: the task's identity
	// labels and container_name.
	ScopeContainer
	// ScopeService samples describe a service: ecs_cluster and ecs_service.
	ScopeService
	// ScopeDaemon samples describe ecswatch itself.
	ScopeDaemon
)

// IdentityLabels are the labels that say which task a series belongs to.
// Plain cluster and service are avoided because scrapers and federation
// commonly add labels of those names.
var IdentityLabels = []string{"ecs_cluster", "ecs_service", "task_family", "task_revision", "task_id"}

// The values of the source label of ecs_container_oom_kills_total: which
// mode counted the kill.
const (
	SourceSidecar    = "sidecar"
	SourceStandalone = "standalone"
)

// ServiceLabels say which service a series belongs to.
var ServiceLabels = []string{"ecs_cluster", "ecs_service"}

// IdentityLabels returns the identity label names a family's samples carry.
func (f *Family) IdentityLabels() []string {
	switch {
	case f.NoIdentity || f.Scope == ScopeDaemon:
		return nil
	case f.Scope == ScopeService:
		return ServiceLabels
	default:
		return IdentityLabels
	}
}

// IdentityValues returns id's values for the family's identity labels.
func (f *Family) IdentityValues(id *collector.Identity) []string {
	switch {
	case f.NoIdentity || f.Scope == ScopeDaemon || id == nil:
		return nil
	case f.Scope == ScopeService:
		return []string{id.Cluster, id.Service}
	default:
		return []string{id.Cluster, id.Service, id.Family, id.Revision, id.TaskID}
	}
}

// Family is one metric of the catalogue.
type Family struct {
	Name string
	Help string
	Kind Kind
	// Unit is the UCUM unit of the family's values, in base units: "s",
	// "By", "{cpu}" (vCPUs), "1" for ratios and states, "{task}" and the
	// like for counts; empty for info families.
	Unit  string
	Scope Scope
	// Labels are the family's own labels; for container scope the first is
	// always container_name. Identity labels come before them.
	Labels []string
	// Values bounds the values of the family's enumerated labels, by label
	// name; a test holds what collectors emit to them.
	Values map[string][]string
	// NoIdentity keeps a family's labels exactly as listed, for drop-in
	// compatibility with another exporter's series.
	NoIdentity bool
	// Datadog and OTLP say how the family is sent to each backend.
	Datadog Datadog
	OTLP    OTLP
	// SinceStart marks a counter that counts only what this process saw
	// (events, OOM kills), so that its whole first value is an increase;
	// other counters (CPU seconds, bytes) began before ecswatch did.
	SinceStart bool
	// Stability is what the family's name, labels and meaning promise.
	Stability Stability

	// Exactly one of these produces the family's samples.
	task      func(t *collector.Task, emit Emit)
	container func(t *collector.Task, c *collector.Container, emit Emit)
	service   func(s *collector.Service, emit Emit)
	snapshot  func(s *collector.Snapshot, emit IdentifiedEmit)
	insights  string // CloudWatch metric name of a Container Insights family
}

// Emit receives one sample's value and the values of its family's own labels.
type Emit func(value float64, labels ...string)

// IdentifiedEmit is Emit for samples that name their identity themselves.
type IdentifiedEmit func(id *collector.Identity, value float64, labels ...string)

// Sample is one value of a family, resolved by the walk: what it is about
// and its labels, so that no exporter decodes labels by position or looks
// the task up again.
type Sample struct {
	Family *Family
	// Identity is who the sample belongs to; nil for daemon samples.
	Identity *collector.Identity
	// Task and Container are what the sample describes, where the snapshot
	// holds them (sidecar tasks); nil otherwise.
	Task      *collector.Task
	Container *collector.Container
	Value     float64
	// Labels are the values of Family.Labels, in order.
	Labels []string
	// Time is the sample's own time where the source gives one (Container
	// Insights datapoints), else zero: the snapshot's time.
	Time time.Time
}

// Label returns the value of the family's label name, or "".
func (s *Sample) Label(name string) string {
	for i, l := range s.Family.Labels {
		if l == name && i < len(s.Labels) {
			return s.Labels[i]
		}
	}
	return ""
}

// Sink receives every sample of a snapshot. The Sample is reused: it is
// valid only during the call.
type Sink func(s *Sample)

// Families returns the catalogue in the order it is walked.
func Families() []*Family { return families }

// insightsFamilies are the Container Insights metrics, one family each,
// labelled like the standalone counters: cluster, service, family, and the
// container name for enhanced container-level metrics.
func insightsFamilies() []*Family {
	var out []*Family
	for _, m := range ecsvocab.Metrics {
		suffix := strings.TrimPrefix(m.Name, "ecs_containerinsights_")
		f := &Family{Name: m.Name, Help: "Container Insights " + m.CloudWatch + ": " + m.Help, Kind: Gauge, Unit: m.Unit, Scope: ScopeTask, insights: m.CloudWatch,
			Datadog: Datadog{Name: "containerinsights." + suffix, Type: DatadogGauge},
			OTLP:    OTLP{Name: "aws.ecs.containerinsights." + suffix, Instrument: InstrumentGauge}}
		if slices.Contains(m.Levels, ecsvocab.Container) {
			f.Scope, f.Labels = ScopeContainer, []string{"container_name"}
		}
		out = append(out, f)
	}
	return out
}

// Walk calls sink for every sample in s, family by family.
func Walk(s *collector.Snapshot, sink Sink) {
	for _, f := range families {
		WalkFamily(s, f, sink)
	}
}

// WalkFamily calls sink for every sample of f in s, so that an encoder can
// hold one family at a time.
func WalkFamily(s *collector.Snapshot, f *Family, sink Sink) {
	var smp Sample
	send := func(id *collector.Identity, t *collector.Task, c *collector.Container, v float64, labels []string, ts time.Time) {
		smp = Sample{Family: f, Identity: id, Task: t, Container: c, Value: v, Labels: labels, Time: ts}
		if smp.Task == nil && id != nil && id.TaskID != "" {
			smp.Task = s.Task(id.TaskID)
		}
		if smp.Container == nil && smp.Task != nil {
			if name := smp.Label("container_name"); name != "" {
				smp.Container = smp.Task.Container(name)
			}
		}
		sink(&smp)
	}
	switch {
	case f.insights != "":
		samples := s.InsightsFor(f.insights)
		for i := range samples {
			in := &samples[i]
			id := in.ID()
			if len(f.Labels) > 0 {
				send(id, nil, nil, in.Value, []string{in.Container}, in.Time)
			} else {
				send(id, nil, nil, in.Value, nil, in.Time)
			}
		}
	case f.snapshot != nil:
		f.snapshot(s, func(id *collector.Identity, v float64, l ...string) { send(id, nil, nil, v, l, time.Time{}) })
	case f.task != nil:
		for _, t := range s.Tasks {
			id := t.Identity()
			f.task(t, func(v float64, l ...string) { send(&id, t, nil, v, l, time.Time{}) })
		}
	case f.container != nil:
		for _, t := range s.Tasks {
			id := t.Identity()
			for i := range t.Containers {
				c := &t.Containers[i]
				f.container(t, c, func(v float64, l ...string) { send(&id, t, c, v, l, time.Time{}) })
			}
		}
	case f.service != nil:
		for _, svc := range s.Services {
			id := svc.Identity()
			f.service(svc, func(v float64, l ...string) { send(&id, nil, nil, v, l, time.Time{}) })
		}
	}
}

func taskGauge(name, help, unit string, value func(t *collector.Task) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeTask,
		task: func(t *collector.Task, emit Emit) {
			if v, ok := value(t); ok {
				emit(v)
			}
		}}
}

func containerMetric(kind Kind, name, help, unit string, value func(c *collector.Container) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: kind, Unit: unit, Scope: ScopeContainer, Labels: []string{"container_name"},
		container: func(_ *collector.Task, c *collector.Container, emit Emit) {
			if v, ok := value(c); ok {
				emit(v, c.Name)
			}
		}}
}

// statsMetric is a container metric read from the latest stats, absent when
// the container has none or they lack the value (see ContainerStats).
func statsMetric(kind Kind, name, help, unit string, value func(s *collector.ContainerStats) (float64, bool)) *Family {
	return containerMetric(kind, name, help, unit, func(c *collector.Container) (float64, bool) {
		if c.Stats == nil {
			return 0, false
		}
		return value(c.Stats)
	})
}

// networkMetric reports an interface counter: once per task interface in
// awsvpc and host mode (container_name empty), once per container interface in
// bridge mode.
func networkMetric(name, help, unit string, value func(n *collector.NetworkStats) float64) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: ScopeContainer, Labels: []string{"container_name", "interface"},
		task: func(t *collector.Task, emit Emit) {
			for i := range t.Networks {
				emit(value(&t.Networks[i]), "", t.Networks[i].Interface)
			}
			for i := range t.Containers {
				c := &t.Containers[i]
				if c.Stats == nil {
					continue
				}
				for j := range c.Stats.Networks {
					emit(value(&c.Stats.Networks[j]), c.Name, c.Stats.Networks[j].Interface)
				}
			}
		}}
}

func daemonMetric(kind Kind, name, help, unit string, value func(h *collector.CollectorHealth) float64) *Family {
	return &Family{Name: name, Help: help, Kind: kind, Unit: unit, Scope: ScopeDaemon, Labels: []string{"collector"},
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for i := range s.Collectors {
				emit(nil, value(&s.Collectors[i]), s.Collectors[i].Name)
			}
		}}
}

// daemonCounter reports one of the Store's own counters, with its label.
func daemonCounter(name, help, unit, label string) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: ScopeDaemon, Labels: []string{label},
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, c := range s.Counts {
				if c.Name == name {
					emit(nil, float64(c.Count), c.Label)
				}
			}
		}}
}

func serviceGauge(name, help, unit string, value func(s *collector.Service) (float64, bool)) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService,
		service: func(s *collector.Service, emit Emit) {
			if v, ok := value(s); ok {
				emit(v)
			}
		}}
}

// deploymentGauge reports a value of each of a service's deployments.
func deploymentGauge(name, help, unit string, value func(d *collector.Deployment) float64) *Family {
	return &Family{Name: name, Help: help, Kind: Gauge, Unit: unit, Scope: ScopeService, Labels: []string{"deployment_id", "status"},
		Values: map[string][]string{"status": ecsvocab.DeploymentStatuses},
		service: func(s *collector.Service, emit Emit) {
			for i := range s.Deployments {
				d := &s.Deployments[i]
				emit(value(d), d.ID, d.Status)
			}
		}}
}

// eventCounter counts the Store's events of one kind. labels are the
// family's own labels after the identity: container_name for OOM kills, then
// the event's Label under the name given.
func eventCounter(kind collector.EventKind, scope Scope, name, help, unit string, labels ...string) *Family {
	return &Family{Name: name, Help: help, Kind: Counter, Unit: unit, Scope: scope, Labels: labels, SinceStart: true,
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for i := range s.Events {
				e := &s.Events[i]
				if e.Kind != kind {
					continue
				}
				switch len(labels) {
				case 0:
					emit(e.Identity, float64(e.Count))
				case 1:
					if labels[0] == "container_name" {
						emit(e.Identity, float64(e.Count), e.Container)
					} else {
						emit(e.Identity, float64(e.Count), e.Label)
					}
				}
			}
		}}
}

// values declares the values label may take.
func (f *Family) values(label string, vs []string) *Family {
	if f.Values == nil {
		f.Values = map[string][]string{}
	}
	f.Values[label] = vs
	return f
}

// stringsOf is an enumerated type's values as a label's values.
func stringsOf[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func positive(v float64) (float64, bool) { return v, v > 0 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

var families = stableByDefault(slices.Concat(taskFamilies, containerFamilies, networkFamilies, serviceFamilies, rolloutFamilies, daemonFamilies, insightsFamilies(), whyFamilies()))

// StabilityLevel is how far a family is promised, in the sense of
// kube-state-metrics and Kubernetes metrics: a stable family keeps its name,
// labels and meaning within a major version; an experimental one may change
// in any release; a deprecated one is still served and goes in a later
// release.
type StabilityLevel string

// The stability levels.
const (
	Stable       StabilityLevel = "stable"
	Experimental StabilityLevel = "experimental"
	Deprecated   StabilityLevel = "deprecated"
)

// Stability is a family's level and the ecswatch version that gave it that
// level.
type Stability struct {
	Level StabilityLevel
	Since string
}

// firstRelease is the version of the first families, stable from the start.
const firstRelease = "0.1.0"

// stableByDefault gives families that declare no stability the first
// release's: stable since 0.1.0.
func stableByDefault(fs []*Family) []*Family {
	for _, f := range fs {
		if f.Stability.Level == "" {
			f.Stability = Stability{Level: Stable, Since: firstRelease}
		}
	}
	return fs
}

// experimental marks a family added as experimental in version since.
func (f *Family) experimental(since string) *Family {
	f.Stability = Stability{Level: Experimental, Since: since}
	return f
}
