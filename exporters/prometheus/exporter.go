// Package prometheus serves the Store's latest snapshot on /metrics in the
// Prometheus exposition format, with /healthz and /readyz beside it. A scrape
// only reads the snapshot: it never calls the metadata endpoint or AWS, so it
// is fast and cannot hang on a slow source.
package prometheus

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

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
	// largest is the most series, and label values, one family had at the
	// last encode: the next one's buffers start that size, so that the
	// largest family (eighty thousand series at 10x) is not collected
	// through a chain of doubling copies.
	largest struct{ series, values atomic.Int64 }
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

// familyChunk is how many series of a family are built as client_golang's
// types at once where the format allows it (the text formats): a large
// cluster's biggest family is eighty thousand series, 40 MB as dto.Metrics.
const familyChunk = 1024

// Encode writes snap's families, merged in name order with others (a
// registry's gathering, already sorted), to w in format, one family at a
// time: the families and series a registry's Gather would hand promhttp,
// sorted and de-duplicated the same way, without holding them all. Bad
// samples are left out and reported in the error, as Gather reports them;
// the rest is written.
func (e *Exporter) Encode(snap *collector.Snapshot, others []*dto.MetricFamily, w io.Writer, format expfmt.Format) error {
	return e.encode(snap, others, w, format, familyChunk)
}

// encode is Encode building at most chunk series of a family at once in
// the text formats; in protobuf a family is one message, built whole.
func (e *Exporter) encode(snap *collector.Snapshot, others []*dto.MetricFamily, w io.Writer, format expfmt.Format, chunk int) error {
	fw := newFamilyWriter(w, format)
	if format.FormatType() == expfmt.TypeProtoDelim {
		chunk = 0
	}
	var errs []error
	i := 0
	// One family's series at a time, in buffers the families share.
	hint := func(n int64) int { return int(n + n/16) }
	ss := make([]series, 0, hint(e.largest.series.Load()))
	values := make([]string, 0, hint(e.largest.values.Load()))
	var most, mostValues int
	for _, fe := range e.byName {
		for ; i < len(others) && others[i].GetName() < fe.f.Name; i++ {
			errs = append(errs, fw.write(others[i], false))
		}
		var err error
		ss, values, err = e.series(snap, fe, ss[:0], values[:0])
		most, mostValues = max(most, len(ss)), max(mostValues, len(values))
		errs = append(errs, err, writeFamily(fe, ss, values, chunk, fw.write))
	}
	e.largest.series.Store(int64(most))
	e.largest.values.Store(int64(mostValues))
	for ; i < len(others); i++ {
		errs = append(errs, fw.write(others[i], false))
	}
	errs = append(errs, fw.close())
	return errors.Join(errs...)
}

// series is one series of a family being encoded: its label values are
// values[at:at+len(names)] of the family's, in label-name order.
type series struct {
	at    int
	value float64
	ms    int64 // the sample's own time, where hasTS
	hasTS bool
}

// series collects fe's series in snap into ss, sorted by label values as
// Gather sorts them, keeping the first of series with the same labels, and
// their label values into values.
func (e *Exporter) series(snap *collector.Snapshot, fe *family, ss []series, values []string) ([]series, []string, error) {
	var (
		scratch []string
		bad     error
		badN    int
	)
	n := len(fe.names)
	catalog.WalkFamily(snap, fe.f, func(smp *catalog.Sample) {
		scratch = e.values(smp, scratch[:0])
		if err := checkValues(fe, scratch); err != nil {
			bad, badN = cmp.Or(bad, err), badN+1
			return
		}
		s := series{at: len(values), value: smp.Value}
		for i := range n {
			values = append(values, scratch[fe.at[i]])
		}
		if !smp.Time.IsZero() {
			s.ms, s.hasTS = smp.Time.UnixNano()/int64(time.Millisecond), true
		}
		ss = append(ss, s)
	})
	labels := func(a, b series) int { return slices.Compare(values[a.at:a.at+n], values[b.at:b.at+n]) }
	// As client_golang's Gather: by label values in label-name order, then
	// by timestamp, none last.
	slices.SortStableFunc(ss, func(a, b series) int {
		if c := labels(a, b); c != 0 || a.hasTS == b.hasTS && !a.hasTS {
			return c
		}
		switch {
		case !a.hasTS:
			return 1
		case !b.hasTS:
			return -1
		}
		return cmp.Compare(a.ms, b.ms)
	})
	// Series with the same labels: Gather keeps the first collected and
	// reports the others; the stable sort kept collection order.
	dups := 0
	ss = slices.CompactFunc(ss, func(a, b series) bool {
		same := labels(a, b) == 0
		if same {
			dups++
		}
		return same
	})
	switch {
	case bad != nil:
		return ss, values, fmt.Errorf("%s: %d series: %w", fe.f.Name, badN, bad)
	case dups > 0:
		return ss, values, fmt.Errorf("%s: %d series collected before with the same label values", fe.f.Name, dups)
	}
	return ss, values, nil
}

// writeFamily writes ss as fe's family, in families of at most chunk
// metrics (0: one), the later ones marked continued.
func writeFamily(fe *family, ss []series, values []string, chunk int, write func(mf *dto.MetricFamily, continued bool) error) error {
	n := len(fe.names)
	if chunk <= 0 {
		chunk = len(ss)
	}
	for first := 0; first < len(ss); first += chunk {
		part := ss[first:min(first+chunk, len(ss))]
		// A few allocations for the whole chunk, none per series.
		mf := &dto.MetricFamily{Name: &fe.f.Name, Help: &fe.help, Type: &fe.typ, Metric: make([]*dto.Metric, len(part))}
		metrics := make([]dto.Metric, len(part))
		pairs := make([]dto.LabelPair, len(part)*n)
		labels := make([]*dto.LabelPair, len(part)*n)
		nums := make([]float64, len(part))
		stamps := make([]int64, len(part))
		var (
			counters []dto.Counter
			gauges   []dto.Gauge
		)
		if fe.typ == dto.MetricType_COUNTER {
			counters = make([]dto.Counter, len(part))
		} else {
			gauges = make([]dto.Gauge, len(part))
		}
		for i, s := range part {
			m := &metrics[i]
			m.Label = labels[i*n : (i+1)*n : (i+1)*n]
			for j := range n {
				p := &pairs[i*n+j]
				p.Name, p.Value = &fe.names[j], &values[s.at+j]
				m.Label[j] = p
			}
			nums[i] = s.value
			if counters != nil {
				counters[i].Value = &nums[i]
				m.Counter = &counters[i]
			} else {
				gauges[i].Value = &nums[i]
				m.Gauge = &gauges[i]
			}
			if s.hasTS {
				stamps[i] = s.ms
				m.TimestampMs = &stamps[i]
			}
			mf.Metric[i] = m
		}
		if err := write(mf, first > 0); err != nil {
			return err
		}
	}
	return nil
}

// familyWriter encodes families in one format, some in chunks: a continued
// chunk is encoded apart and written without its header lines (# HELP,
// # TYPE, # UNIT), which its family's first chunk wrote, so that the body
// is the one the whole family would encode to. No sample line starts with
// '#'.
type familyWriter struct {
	w            io.Writer
	enc          expfmt.Encoder
	scratch      bytes.Buffer
	continuation expfmt.Encoder // onto scratch
}

func newFamilyWriter(w io.Writer, format expfmt.Format) *familyWriter {
	fw := &familyWriter{w: w, enc: expfmt.NewEncoder(w, format)}
	fw.continuation = expfmt.NewEncoder(&fw.scratch, format)
	return fw
}

func (fw *familyWriter) write(mf *dto.MetricFamily, continued bool) error {
	if !continued {
		return encodeFamily(fw.enc, mf)
	}
	fw.scratch.Reset()
	if err := encodeFamily(fw.continuation, mf); err != nil {
		return err
	}
	b := fw.scratch.Bytes()
	for len(b) > 0 && b[0] == '#' {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		b = b[i+1:]
	}
	_, err := fw.w.Write(b)
	return err
}

// close ends the body: OpenMetrics ends with # EOF.
func (fw *familyWriter) close() error {
	if c, ok := fw.enc.(expfmt.Closer); ok {
		return c.Close()
	}
	return nil
}

func encodeFamily(enc expfmt.Encoder, mf *dto.MetricFamily) error {
	if err := enc.Encode(mf); err != nil {
		return fmt.Errorf("encode %s: %w", mf.GetName(), err)
	}
	return nil
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
