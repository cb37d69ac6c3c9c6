// Package insights reads CloudWatch Container Insights (namespace
// ECS/ContainerInsights) for the clusters, services and task families the
// standalone collector knows, through GetMetricData in batches of 500
// queries, and publishes each series' latest datapoint in base units with
// its own timestamp.
package insights

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Name is the collector's name in ecswatch_collector_* series.
const Name = "insights"

// MaxQueries is GetMetricData's limit of queries per call.
const MaxQueries = 500

// Namespace is Container Insights' CloudWatch namespace.
const Namespace = "ECS/ContainerInsights"

// Options configure the collector.
type Options struct {
	// Clusters read besides those of the snapshot's services (insights.clusters):
	// their cluster-level metrics, for clusters the standalone collector
	// does not watch.
	Clusters []string
	// Period of the datapoints (Container Insights publishes per minute).
	Period time.Duration
	// Delay is CloudWatch's publication delay: the window ends this long
	// before now, so that minutes still being aggregated are not read.
	Delay time.Duration
	// Lookback is how far before the window's end to look, so that a
	// datapoint published late is still found.
	Lookback time.Duration
	// StaleAfter drops a series whose newest datapoint is older than this.
	StaleAfter time.Duration
	// Enhanced also reads the metrics of Container Insights with enhanced
	// observability (container level, task utilization, restarts).
	Enhanced    bool
	CallTimeout time.Duration
}

// Collector reads Container Insights.
type Collector struct {
	client *cloudwatch.Client
	store  *collector.Store
	logger *slog.Logger
	opts   Options
	now    func() time.Time

	// published are the samples last published, sorted by series
	// (compareSeries): each series' newest datapoint. They are what the
	// next read compares with; the Store shares them, so they are never
	// changed, only replaced.
	published []collector.InsightsSample
}

// datapoint is a series' newest datapoint, in base units.
type datapoint struct {
	value float64
	time  time.Time
}

// New returns a Collector.
func New(client *cloudwatch.Client, store *collector.Store, logger *slog.Logger, opts Options) *Collector {
	return &Collector{client: client, store: store, logger: logger, opts: opts, now: time.Now}
}

// SetClock replaces time.Now, for simulations on a fake clock.
func (c *Collector) SetClock(now func() time.Time) { c.now = now }

// Name implements collector.Collector.
func (c *Collector) Name() string { return Name }

// query is one GetMetricData query and the series it fills. Its
// dimensions are built per call (see dimensions), and its identity is
// shared with the other metrics' queries of the same cluster, service or
// family: ten times the usual scale is two hundred thousand queries.
type query struct {
	metric    *ecsvocab.Metric
	identity  *collector.Identity
	container string
	// dims names the dimensions of the query's level (dimensionNames):
	// a byte, not a slice header, in each of those queries.
	dims dimensionSet
}

// sample is q's series with d.
func (q query) sample(d datapoint) collector.InsightsSample {
	return collector.InsightsSample{Metric: q.metric.CloudWatch, Identity: q.identity, Container: q.container, Value: d.value, Time: d.time}
}

// dimensionSet is the dimensions of one level.
type dimensionSet uint8

// The dimensions of each level.
const (
	clusterDims dimensionSet = iota
	serviceDims
	familyDims
	containerDims
)

// dimensionNames are each level's dimensions, in the order CloudWatch
// lists them.
var dimensionNames = [...][]string{
	clusterDims:   {"ClusterName"},
	serviceDims:   {"ClusterName", "ServiceName"},
	familyDims:    {"ClusterName", "TaskDefinitionFamily"},
	containerDims: {"ClusterName", "ServiceName", "ContainerName"},
}

// dimensions are q's CloudWatch dimensions, their values from its
// identity and container.
func (q query) dimensions() []types.Dimension {
	names := dimensionNames[q.dims]
	out := make([]types.Dimension, len(names))
	for i, name := range names {
		var v string
		switch name {
		case "ClusterName":
			v = q.identity.Cluster
		case "ServiceName":
			v = q.identity.Service
		case "TaskDefinitionFamily":
			v = q.identity.Family
		case "ContainerName":
			v = q.container
		}
		out[i] = types.Dimension{Name: aws.String(name), Value: aws.String(v)}
	}
	return out
}

// Queries lists the queries for the services in s, for tests and
// benchmarks: a read goes through them a call at a time (queries).
func (c *Collector) Queries(s *collector.Snapshot) []query {
	return slices.Collect(c.queries(s))
}

// queries yields the queries for the services in s: cluster-level ones for
// each cluster, service-level for each service, family-level for each task
// family a service runs, and container-level (enhanced) for each container
// name of a service. The dimensions come from what the ECS API said, so no
// ListMetrics scan is needed. They are built as a read goes, never all at
// once: at 10x they are a third of a million.
func (c *Collector) queries(s *collector.Snapshot) iter.Seq[query] {
	services := slices.Clone(s.Services) // not the whole snapshot, for the read's length
	return func(yield func(query) bool) {
		clusters := slices.Clone(c.opts.Clusters)
		families := map[[2]string]bool{}
		for _, svc := range services {
			clusters = append(clusters, svc.Cluster)
		}
		slices.Sort(clusters)
		clusters = slices.Compact(clusters)

		add := func(level ecsvocab.Level, id *collector.Identity, container string, dims dimensionSet) bool {
			for i := range ecsvocab.Metrics {
				m := &ecsvocab.Metrics[i]
				if (m.Enhanced && !c.opts.Enhanced) || !slices.Contains(m.Levels, level) {
					continue
				}
				if !yield(query{metric: m, identity: id, container: container, dims: dims}) {
					return false
				}
			}
			return true
		}
		for _, cl := range clusters {
			if !add(ecsvocab.Cluster, &collector.Identity{Cluster: cl}, "", clusterDims) {
				return
			}
		}
		for _, svc := range services {
			service := &collector.Identity{Cluster: svc.Cluster, Service: svc.Name}
			if !add(ecsvocab.Service, service, "", serviceDims) {
				return
			}
			for _, d := range svc.Deployments {
				family := ecsvocab.TaskFamily(d.TaskDefinition)
				if family != "" && !families[[2]string{svc.Cluster, family}] {
					families[[2]string{svc.Cluster, family}] = true
					if !add(ecsvocab.Family, &collector.Identity{Cluster: svc.Cluster, Family: family}, "", familyDims) {
						return
					}
				}
			}
			for _, name := range svc.ContainerNames() {
				if !add(ecsvocab.Container, service, name, containerDims) {
					return
				}
			}
		}
	}
}

// Collect reads every query's window, in calls of MaxQueries, and publishes
// the newest datapoint of each series.
func (c *Collector) Collect(ctx context.Context) error {
	return c.collect(ctx, c.queries(c.store.Snapshot()))
}

func (c *Collector) collect(ctx context.Context, qs iter.Seq[query]) error {
	now := c.now()
	end := now.Add(-c.opts.Delay).Truncate(c.opts.Period)
	start := end.Add(-c.opts.Lookback)
	m := newMerge(c.published)
	batch := make([]query, 0, MaxQueries)
	found := make([]datapoint, MaxQueries)
	var err error
	offset := 0
	call := func() {
		if err == nil && len(batch) > 0 {
			clear(found)
			err = c.fetch(ctx, batch, found[:len(batch)], offset, start, end)
			for i, q := range batch {
				m.add(q, found[i])
			}
		}
		offset += len(batch)
		batch = batch[:0]
	}
	for q := range qs {
		if batch = append(batch, q); len(batch) == MaxQueries {
			call()
		}
	}
	call()
	// Published even when CloudWatch failed: the samples kept from earlier
	// runs age like the others, and one older than StaleAfter goes, so that
	// no exporter sends an old datapoint as current during an outage.
	c.published = m.result(now, c.opts.StaleAfter)
	c.store.Apply(Name, collector.Contribution{Insights: c.published})
	return err
}

// merge builds each series' newest datapoint from the published samples
// and a read's datapoints, added query by query: a datapoint where it is
// newer than the one published, the published one otherwise. A datapoint
// older than the one published (late data for an earlier minute) is not
// exported: each value goes out once, in order. A series whose newest
// datapoint is older than StaleAfter goes: no data for too long is no
// series, never a zero.
type merge struct {
	published []collector.InsightsSample
	replaced  []bool // by published sample
	out       []collector.InsightsSample
}

func newMerge(published []collector.InsightsSample) *merge {
	// Made at about its size: at 10x a quarter of a million samples,
	// which grown by doubling beside the published ones were the read's
	// top.
	return &merge{published: published, replaced: make([]bool, len(published)),
		out: make([]collector.InsightsSample, 0, len(published)+len(published)/16)}
}

// add takes q's newest datapoint in the read, d (zero: none).
func (m *merge) add(q query, d datapoint) {
	if d.time.IsZero() {
		return // missing data: no series rather than a zero
	}
	s := q.sample(d)
	if j, ok := slices.BinarySearchFunc(m.published, s, compareSeries); ok {
		if !d.time.After(m.published[j].Time) {
			return
		}
		m.replaced[j] = true
	}
	m.out = append(m.out, s)
}

// result is the samples to publish, sorted by series, as of now.
func (m *merge) result(now time.Time, staleAfter time.Duration) []collector.InsightsSample {
	out := m.out // never nil: none left is news too
	for j, s := range m.published {
		if !m.replaced[j] {
			out = append(out, s)
		}
	}
	out = slices.DeleteFunc(out, func(s collector.InsightsSample) bool { return now.Sub(s.Time) > staleAfter })
	// Two queries of one series (none are built so) would be one series:
	// its newest datapoint.
	slices.SortFunc(out, func(a, b collector.InsightsSample) int { return cmp.Or(compareSeries(a, b), b.Time.Compare(a.Time)) })
	return slices.Clip(slices.CompactFunc(out, func(a, b collector.InsightsSample) bool { return compareSeries(a, b) == 0 }))
}

// compareSeries orders samples by series: metric, then identity, then
// container.
func compareSeries(a, b collector.InsightsSample) int {
	x, y := a.ID(), b.ID()
	return cmp.Or(strings.Compare(a.Metric, b.Metric), strings.Compare(x.Cluster, y.Cluster),
		strings.Compare(x.Service, y.Service), strings.Compare(x.Family, y.Family), strings.Compare(x.TaskID, y.TaskID),
		strings.Compare(a.Container, b.Container))
}

// fetch runs one call's worth of queries, following NextToken, and keeps
// each query's newest datapoint in found.
func (c *Collector) fetch(ctx context.Context, batch []query, found []datapoint, offset int, start, end time.Time) error {
	in := &cloudwatch.GetMetricDataInput{StartTime: &start, EndTime: &end, ScanBy: types.ScanByTimestampDescending}
	for i, q := range batch {
		in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
			Id: aws.String("q" + strconv.Itoa(offset+i)),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(Namespace), MetricName: aws.String(q.metric.CloudWatch), Dimensions: q.dimensions()},
				Period: aws.Int32(int32(c.opts.Period / time.Second)),
				Stat:   aws.String("Average"),
			},
		})
	}
	p := cloudwatch.NewGetMetricDataPaginator(c.client, in)
	for p.HasMorePages() {
		callCtx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
		out, err := p.NextPage(callCtx)
		cancel()
		if err != nil {
			return fmt.Errorf("get metric data (%d queries): %w", len(batch), err)
		}
		for _, r := range out.MetricDataResults {
			i, err := strconv.Atoi(strings.TrimPrefix(aws.ToString(r.Id), "q"))
			if err != nil || i < offset || i >= offset+len(batch) {
				continue
			}
			// A series' datapoints may come over more than one page.
			for j, ts := range r.Timestamps {
				if j < len(r.Values) && ts.After(found[i-offset].time) {
					found[i-offset] = datapoint{value: r.Values[j] * batch[i-offset].metric.Scale, time: ts}
				}
			}
		}
	}
	return nil
}
