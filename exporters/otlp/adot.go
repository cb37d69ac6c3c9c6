package otlp

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
)

// registerADOT creates the receiver's instruments: container.* and
// ecs.task.* for each mapped family, in the receiver's units. Its sums are
// cumulative and not monotonic, as the receiver sends them.
func registerADOT(meter metric.Meter, instruments map[string]metric.Float64Observable) ([]metric.Observable, error) {
	var all []metric.Observable
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range catalog.ADOT {
			if !yield(k) {
				return
			}
		}
	}) {
		m := catalog.ADOT[name]
		names := []string{catalog.ADOTTaskPrefix + m.Suffix}
		if !m.TaskOnly {
			names = append(names, catalog.ADOTContainerPrefix+m.Suffix)
		}
		for _, n := range names {
			if instruments[n] != nil {
				continue
			}
			var (
				inst metric.Float64Observable
				err  error
			)
			if m.Sum {
				inst, err = meter.Float64ObservableUpDownCounter(n, metric.WithUnit(m.Unit))
			} else {
				inst, err = meter.Float64ObservableGauge(n, metric.WithUnit(m.Unit))
			}
			if err != nil {
				return nil, fmt.Errorf("instrument %s: %w", n, err)
			}
			instruments[n] = inst
			all = append(all, inst)
		}
	}
	for _, m := range adotRateMetrics {
		for _, n := range []string{catalog.ADOTTaskPrefix + m.Suffix, catalog.ADOTContainerPrefix + m.Suffix} {
			inst, err := meter.Float64ObservableGauge(n, metric.WithUnit(m.Unit))
			if err != nil {
				return nil, fmt.Errorf("instrument %s: %w", n, err)
			}
			instruments[n] = inst
			all = append(all, inst)
		}
	}
	return all, nil
}

// adotTasks sums a walk's container values into the receiver's task-level
// metrics, and keeps the task-level values that replace those sums.
type adotTasks struct {
	at    time.Time // the snapshot's time: rates of task interfaces use it
	order []string
	tasks map[string]*adotTask
}

type adotTask struct {
	task   *collector.Task
	sums   map[string]float64 // by suffix
	own    map[string]float64 // task families' values, by suffix
	suffix []string           // in first-seen order
	// shared are the task's own interfaces (awsvpc, host), by suffix:
	// every container reports them, as with the receiver.
	shared       map[string]float64
	sharedSuffix []string
}

func (a *adotTasks) get(t *collector.Task) *adotTask {
	if a.tasks == nil {
		a.tasks = map[string]*adotTask{}
	}
	at, ok := a.tasks[t.ID]
	if !ok {
		at = &adotTask{task: t, sums: map[string]float64{}, own: map[string]float64{}}
		a.tasks[t.ID] = at
		a.order = append(a.order, t.ID)
	}
	return at
}

func (at *adotTask) add(suffix string, v float64, own bool) {
	_, seen := at.sums[suffix]
	if _, o := at.own[suffix]; !seen && !o {
		at.suffix = append(at.suffix, suffix)
	}
	if own {
		at.own[suffix] = v
		return
	}
	at.sums[suffix] += v
}

// observeADOT observes a mapped sample of a sidecar's task: a container's
// value as container.* on the container's resource, and into its task's
// ecs.task.* sum; a task family's or a task interface's value into the
// task's. Samples of no sidecar task have no receiver equivalent.
func (e *Exporter) observeADOT(o metric.Observer, instruments map[string]metric.Float64Observable, tasks *adotTasks, m catalog.ReceiverMetric, smp *catalog.Sample) {
	t := smp.Task
	if t == nil {
		return
	}
	v := smp.Value * m.Factor()
	at := tasks.get(t)
	if m.TaskOnly {
		at.add(m.Suffix, v, true)
		return
	}
	at.add(m.Suffix, v, false)
	e.observeRates(o, instruments, tasks, at, m, smp, v)
	if smp.Container == nil && smp.Label("interface") != "" {
		if at.shared == nil {
			at.shared = map[string]float64{}
		}
		if _, ok := at.shared[m.Suffix]; !ok {
			at.sharedSuffix = append(at.sharedSuffix, m.Suffix)
		}
		at.shared[m.Suffix] += v
	}
	if c := smp.Container; c != nil {
		var attrs []attribute.KeyValue
		if t.ID != e.resourceTaskID {
			attrs = appendIdentity(attrs, t.Identity())
		}
		attrs = appendContainerResource(attrs, c, NamingADOT)
		if smp.Label("interface") != "" {
			attrs = append(attrs, attribute.String("network.interface.name", smp.Label("interface")))
		}
		o.ObserveFloat64(instruments[catalog.ADOTContainerPrefix+m.Suffix], v, metric.WithAttributes(attrs...))
	}
}

// observe sends each task's ecs.task.* values: its own where a task family
// gave one (limits, ephemeral storage), else the sum over its containers
// and interfaces.
func (a *adotTasks) observe(e *Exporter, o metric.Observer, instruments map[string]metric.Float64Observable) {
	for _, id := range a.order {
		at := a.tasks[id]
		var attrs []attribute.KeyValue
		if id != e.resourceTaskID {
			attrs = appendIdentity(attrs, at.task.Identity())
		}
		for _, suffix := range at.suffix {
			v, own := at.own[suffix]
			if !own {
				v = at.sums[suffix]
			}
			o.ObserveFloat64(instruments[catalog.ADOTTaskPrefix+suffix], v, metric.WithAttributes(attrs...))
		}
		if vcpu, ok := at.sums[rateVCPU]; ok {
			// The receiver's task cpu.utilized is CPU units used, as
			// Container Insights' CpuUtilized.
			o.ObserveFloat64(instruments[catalog.ADOTTaskPrefix+rateUtilized], vcpu*1024, metric.WithAttributes(attrs...))
		}
		for i := range at.task.Containers {
			c := &at.task.Containers[i]
			if c.Stats == nil {
				continue
			}
			cattrs := appendContainerResource(slices.Clone(attrs), c, NamingADOT)
			for _, suffix := range at.sharedSuffix {
				o.ObserveFloat64(instruments[catalog.ADOTContainerPrefix+suffix], at.shared[suffix], metric.WithAttributes(cattrs...))
			}
		}
	}
}

// adotTaskAttributes are the receiver's task resource attributes that the
// semantic conventions' set lacks.
func adotTaskAttributes(t *collector.Task) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("aws.ecs.cluster.name", t.Cluster),
		attribute.String("aws.ecs.task.version", t.Revision),
		attribute.String("aws.ecs.service.name", t.Service),
		attribute.String("aws.ecs.task.known_status", t.KnownStatus),
		attribute.String("aws.ecs.task.launch_type", t.LaunchType),
	}
	if !t.PullStartedAt.IsZero() {
		attrs = append(attrs, attribute.String("aws.ecs.task.pull_started_at", t.PullStartedAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")))
	}
	if !t.PullStoppedAt.IsZero() {
		attrs = append(attrs, attribute.String("aws.ecs.task.pull_stopped_at", t.PullStoppedAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")))
	}
	return attrs
}

// appendContainerResource marks a container's resource attributes (see
// resourceSplitter): the semantic conventions' container.name, container.id
// and container.image.name (and .tags); in ADOT naming also the receiver's
// container.image.tag, aws.ecs.container.image.id, know_status (sic) and
// exit_code.
func appendContainerResource(attrs []attribute.KeyValue, c *collector.Container, naming string) []attribute.KeyValue {
	name, tag, _ := collector.ImageReference(c.Image)
	if tag == "" && !strings.Contains(c.Image, "@") && c.Image != "" {
		tag = "latest"
	}
	add := func(kv attribute.KeyValue) {
		if kv.Value.Type() != attribute.STRING || kv.Value.AsString() != "" {
			attrs = append(attrs, resourceAttr(kv))
		}
	}
	add(semconv.ContainerName(c.Name))
	add(semconv.ContainerID(c.DockerID))
	add(semconv.ContainerImageName(name))
	if naming == NamingADOT {
		add(attribute.String("container.image.tag", tag))
		add(attribute.String("aws.ecs.container.image.id", c.ImageID))
		add(attribute.String("aws.ecs.container.know_status", c.KnownStatus))
		if c.HasExitCode {
			add(attribute.Int("aws.ecs.container.exit_code", c.ExitCode))
		}
	} else if tag != "" {
		add(semconv.ContainerImageTags(tag))
	}
	return attrs
}

// The receiver's rates, which ecswatch derives from two of its own readings
// (the receiver from the ECS agent's previous one): vCPUs used, CPU
// utilization, and interface bytes per second.
const (
	rateVCPU     = "cpu.usage.vcpu"
	rateUtilized = "cpu.utilized"
	rateRx       = "network.rate.rx"
	rateTx       = "network.rate.tx"
)

// adotRateMetrics are the derived metrics' units, registered beside
// catalog.ADOT's.
var adotRateMetrics = []catalog.ReceiverMetric{
	{Suffix: rateVCPU, Unit: "vCPU"},
	{Suffix: rateUtilized, Unit: "None"},
	{Suffix: rateRx, Unit: "Bytes/Second"},
	{Suffix: rateTx, Unit: "Bytes/Second"},
}

// rateOf names the rate derived from a mapped counter.
var rateOf = map[string]string{
	"cpu.usage.total":           rateVCPU,
	"network.io.usage.rx_bytes": rateRx,
	"network.io.usage.tx_bytes": rateTx,
}

// adotRates keeps each series' last reading. The reader's collections may
// overlap (a ForceFlush beside the periodic one), hence the lock.
type adotRates struct {
	mu   sync.Mutex
	last map[string]rateReading
}

type rateReading struct {
	v  float64
	at time.Time
}

// rate is the per-second increase of series key since its last reading,
// false for a first reading, a reading no newer than the last, or a reset.
func (r *adotRates) rate(key string, v float64, at time.Time) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]rateReading{}
	}
	prev, ok := r.last[key]
	if ok && !at.After(prev.at) {
		return 0, false // the same reading, seen again
	}
	r.last[key] = rateReading{v, at}
	if !ok || at.IsZero() || v < prev.v {
		return 0, false
	}
	return (v - prev.v) / at.Sub(prev.at).Seconds(), true
}

// observeRates derives the receiver's rates from a container's or task
// interface's counter v (already in the receiver's unit: nanoseconds of CPU,
// bytes): the container's rate on its resource and into its task's sum.
func (e *Exporter) observeRates(o metric.Observer, instruments map[string]metric.Float64Observable, tasks *adotTasks, at *adotTask, m catalog.ReceiverMetric, smp *catalog.Sample, v float64) {
	name, ok := rateOf[m.Suffix]
	if !ok {
		return
	}
	when := tasks.at
	key := at.task.ID + "|" + name + "|" + smp.Label("interface")
	if c := smp.Container; c != nil {
		key += "|" + c.Name
		if c.Stats != nil && !c.Stats.Read.IsZero() {
			when = c.Stats.Read
		}
	}
	r, ok := e.rates.rate(key, v, when)
	if !ok {
		return
	}
	if name == rateVCPU {
		r /= 1e9 // ns of CPU per second: vCPUs
	}
	at.add(name, r, false)
	if smp.Container == nil {
		if at.shared == nil {
			at.shared = map[string]float64{}
		}
		if _, seen := at.shared[name]; !seen {
			at.sharedSuffix = append(at.sharedSuffix, name)
		}
		at.shared[name] += r
		return
	}
	var attrs []attribute.KeyValue
	if at.task.ID != e.resourceTaskID {
		attrs = appendIdentity(attrs, at.task.Identity())
	}
	attrs = appendContainerResource(attrs, smp.Container, NamingADOT)
	o.ObserveFloat64(instruments[catalog.ADOTContainerPrefix+name], r, metric.WithAttributes(attrs...))
	if name == rateVCPU {
		// The receiver's container cpu.utilized: vCPUs × 100 over the
		// container's reserved CPU units where it has some.
		util := r * 100
		if units := smp.Container.CPULimitVCPUs * 1024; units > 0 {
			util /= units
		}
		o.ObserveFloat64(instruments[catalog.ADOTContainerPrefix+rateUtilized], util, metric.WithAttributes(attrs...))
	}
}

// started reports whether the providers run; tests wait for it.
func (e *Exporter) started() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mp != nil
}
