// Package prometheus serves the Store's latest snapshot on /metrics in the
// Prometheus exposition format, with /healthz and /readyz beside it. A scrape
// only reads the snapshot: it never calls the metadata endpoint or AWS, so it
// is fast and cannot hang on a slow source.
package prometheus

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
)

// Name is the exporter's name where ecswatch reports on its exporters.
const Name = "prometheus"

// Source is where the exporter reads snapshots from; *collector.Store is one.
type Source interface {
	Snapshot() *collector.Snapshot
}

// Options shape the exported series.
type Options struct {
	// IdentityLabels adds ecs_cluster, ecs_service, task_family,
	// task_revision and task_id to task and container series. Turn it off
	// for a sidecar scraped by Prometheus ECS service discovery, which
	// attaches the task's identity as target labels already.
	IdentityLabels bool
}

// Exporter is a prometheus.Collector that builds const metrics from the
// latest snapshot at scrape time, so it holds no metric state of its own.
type Exporter struct {
	source Source
	opts   Options
	descs  map[*catalog.Family]*prometheus.Desc

	// Snapshots are immutable, and so are const metrics: the metrics of one
	// snapshot are built once and replayed to every scrape until the next.
	mu        sync.Mutex
	cachedFor *collector.Snapshot
	cached    []prometheus.Metric
}

// New returns an Exporter reading from source.
func New(source Source, opts Options) *Exporter {
	e := &Exporter{source: source, opts: opts, descs: map[*catalog.Family]*prometheus.Desc{}}
	for _, f := range catalog.Families() {
		var labels []string
		if e.withIdentity(f) {
			labels = append(labels, f.IdentityLabels()...)
		}
		labels = append(labels, f.Labels...)
		e.descs[f] = prometheus.NewDesc(f.Name, f.Help, labels, nil)
	}
	return e
}

// withIdentity: the switch drops the task identity that Prometheus's ECS
// service discovery would add anyway; a service's cluster and name are what
// its series are about, so they stay.
func (e *Exporter) withIdentity(f *catalog.Family) bool {
	return e.opts.IdentityLabels || f.Scope == catalog.ScopeService
}

// Describe implements prometheus.Collector.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range e.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	for _, m := range e.metrics(e.source.Snapshot()) {
		ch <- m
	}
}

// metrics returns the metrics of snap, built at most once per snapshot.
func (e *Exporter) metrics(snap *collector.Snapshot) []prometheus.Metric {
	e.mu.Lock()
	defer e.mu.Unlock()
	if snap != e.cachedFor {
		// A new slice: scrapes still replaying the old one must not see it change.
		e.cached, e.cachedFor = e.build(snap, make([]prometheus.Metric, 0, len(e.cached))), snap
	}
	return e.cached
}

func (e *Exporter) build(snap *collector.Snapshot, out []prometheus.Metric) []prometheus.Metric {
	var values []string
	catalog.Walk(snap, func(smp *catalog.Sample) {
		f := smp.Family
		values = values[:0]
		if e.withIdentity(f) {
			values = append(values, f.IdentityValues(smp.Identity)...)
		}
		values = append(values, smp.Labels...)
		m, err := prometheus.NewConstMetric(e.descs[f], valueType(f.Kind), smp.Value, values...)
		if err == nil && !smp.Time.IsZero() {
			// A CloudWatch datapoint keeps its own time: it describes a
			// minute that ended a while before this scrape.
			m = prometheus.NewMetricWithTimestamp(smp.Time, m)
		}
		if err != nil {
			// Never panic on data: a bad sample becomes a scrape error that
			// names it, and the rest of the scrape still goes out.
			m = prometheus.NewInvalidMetric(e.descs[f], err)
		}
		out = append(out, m)
	})
	return out
}

func valueType(k catalog.Kind) prometheus.ValueType {
	if k == catalog.Counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// Collected returns the snapshot the last Collect built its metrics from, or
// nil before the first: what a rendered /metrics body actually holds.
func (e *Exporter) Collected() *collector.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cachedFor
}
