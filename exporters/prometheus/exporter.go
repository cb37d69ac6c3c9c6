// Package prometheus serves the Store's latest snapshot on /metrics in the
// Prometheus exposition format, with /healthz and /readyz beside it. A scrape
// only reads the snapshot: it never calls the metadata endpoint or AWS, so it
// is fast and cannot hang on a slow source.
package prometheus

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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

// Exporter translates snapshots into metric families. /metrics encodes them
// one family at a time straight from the snapshot (see Encode), so that a
// large cluster's families never all exist as client_golang metrics at
// once; it is also a prometheus.Collector, for a registry of one's own.
type Exporter struct {
	source Source
	opts   Options
	descs  map[*catalog.Family]*prometheus.Desc
	// byName is the catalogue in the order a registry's Gather sorts
	// families, so that the encoded body is what promhttp would write.
	byName []*family
}

// family is a catalogue family with its label names as client_golang
// orders them on the wire: sorted by name.
type family struct {
	f    *catalog.Family
	help string
	typ  dto.MetricType
	// names are the label names sorted; at[i] is where names[i]'s value
	// sits among the values a sample gives (identity first, then its own).
	names []string
	at    []int
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
		fe := &family{f: f, help: f.Help, typ: dto.MetricType_GAUGE, names: slices.Sorted(slices.Values(labels))}
		if f.Kind == catalog.Counter {
			fe.typ = dto.MetricType_COUNTER
		}
		for _, n := range fe.names {
			fe.at = append(fe.at, slices.Index(labels, n))
		}
		e.byName = append(e.byName, fe)
	}
	slices.SortFunc(e.byName, func(a, b *family) int { return strings.Compare(a.f.Name, b.f.Name) })
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
	var values []string
	catalog.Walk(e.source.Snapshot(), func(smp *catalog.Sample) {
		values = e.values(smp, values[:0])
		m, err := prometheus.NewConstMetric(e.descs[smp.Family], valueType(smp.Family.Kind), smp.Value, values...)
		if err == nil && !smp.Time.IsZero() {
			// A CloudWatch datapoint keeps its own time: it describes a
			// minute that ended a while before this scrape.
			m = prometheus.NewMetricWithTimestamp(smp.Time, m)
		}
		if err != nil {
			// Never panic on data: a bad sample becomes a scrape error that
			// names it, and the rest of the scrape still goes out.
			m = prometheus.NewInvalidMetric(e.descs[smp.Family], err)
		}
		ch <- m
	})
}

// values appends smp's label values, identity first, as the family's
// descriptor lists its labels.
func (e *Exporter) values(smp *catalog.Sample, out []string) []string {
	if e.withIdentity(smp.Family) {
		out = append(out, smp.Family.IdentityValues(smp.Identity)...)
	}
	return append(out, smp.Labels...)
}

func valueType(k catalog.Kind) prometheus.ValueType {
	if k == catalog.Counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// Encode writes snap's families, merged in name order with others (a
// registry's gathering, already sorted), to write, one family at a time: the
// families and series a registry's Gather would hand promhttp, sorted and
// de-duplicated the same way, without holding them all. Bad samples are
// left out and reported in the error, as Gather reports them; the rest is
// written.
func (e *Exporter) Encode(snap *collector.Snapshot, others []*dto.MetricFamily, write func(*dto.MetricFamily) error) error {
	var errs []error
	i := 0
	for _, fe := range e.byName {
		for ; i < len(others) && others[i].GetName() < fe.f.Name; i++ {
			if err := write(others[i]); err != nil {
				return err
			}
		}
		mf, err := e.family(snap, fe)
		if err != nil {
			errs = append(errs, err)
		}
		if len(mf.Metric) > 0 {
			if err := write(mf); err != nil {
				return err
			}
		}
	}
	for ; i < len(others); i++ {
		if err := write(others[i]); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d families with bad samples left out: %w", len(errs), errs[0])
	}
	return nil
}

// family builds fe's series in snap, sorted by label values as Gather
// sorts them, keeping the first of series with the same labels.
func (e *Exporter) family(snap *collector.Snapshot, fe *family) (*dto.MetricFamily, error) {
	mf := &dto.MetricFamily{Name: &fe.f.Name, Help: &fe.help, Type: &fe.typ}
	var (
		values []string
		bad    error
		badN   int
	)
	catalog.WalkFamily(snap, fe.f, func(smp *catalog.Sample) {
		values = e.values(smp, values[:0])
		if err := checkValues(fe, values); err != nil {
			bad, badN = cmp.Or(bad, err), badN+1
			return
		}
		// One allocation for the pairs, one for their values.
		pairs := make([]dto.LabelPair, len(fe.names))
		sorted := make([]string, len(fe.names))
		m := &dto.Metric{Label: make([]*dto.LabelPair, len(fe.names))}
		for i := range fe.names {
			sorted[i] = values[fe.at[i]]
			pairs[i].Name, pairs[i].Value = &fe.names[i], &sorted[i]
			m.Label[i] = &pairs[i]
		}
		v := smp.Value
		if fe.typ == dto.MetricType_COUNTER {
			m.Counter = &dto.Counter{Value: &v}
		} else {
			m.Gauge = &dto.Gauge{Value: &v}
		}
		if !smp.Time.IsZero() {
			ms := smp.Time.UnixNano() / int64(time.Millisecond)
			m.TimestampMs = &ms
		}
		mf.Metric = append(mf.Metric, m)
	})
	slices.SortStableFunc(mf.Metric, compareMetrics)
	// Series with the same labels: Gather keeps the first collected and
	// reports the others; the stable sort kept collection order.
	dups := 0
	mf.Metric = slices.CompactFunc(mf.Metric, func(a, b *dto.Metric) bool {
		same := compareLabels(a, b) == 0
		if same {
			dups++
		}
		return same
	})
	switch {
	case bad != nil:
		return mf, fmt.Errorf("%s: %d series: %w", fe.f.Name, badN, bad)
	case dups > 0:
		return mf, fmt.Errorf("%s: %d series collected before with the same label values", fe.f.Name, dups)
	}
	return mf, nil
}

// checkValues refuses what client_golang's NewConstMetric refuses.
func checkValues(fe *family, values []string) error {
	if len(values) != len(fe.names) {
		return fmt.Errorf("%d label values for %d labels %q", len(values), len(fe.names), fe.names)
	}
	for i, v := range values {
		if !utf8.ValidString(v) {
			return fmt.Errorf("label value %q of label %d is not valid UTF-8", v, i)
		}
	}
	return nil
}

// compareMetrics orders series as client_golang's Gather does: by label
// values in label-name order, then by timestamp, none last.
func compareMetrics(a, b *dto.Metric) int {
	if c := compareLabels(a, b); c != 0 {
		return c
	}
	switch {
	case a.TimestampMs == nil && b.TimestampMs == nil:
		return 0
	case a.TimestampMs == nil:
		return 1
	case b.TimestampMs == nil:
		return -1
	}
	return cmp.Compare(*a.TimestampMs, *b.TimestampMs)
}

func compareLabels(a, b *dto.Metric) int {
	for i := range a.Label {
		if c := strings.Compare(a.Label[i].GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return 0
}
