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
	// Clusters to read; empty reads those of the standalone collector's
	// services.
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
	// queries is how many queries the last read built: the next builds
	// into a slice that size, not through doubling copies (a quarter of a
	// million queries at 10x).
	queries int
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

// Queries builds the queries for the services in s: cluster-level ones for
// each cluster, service-level for each service, family-level for each task
// family a service runs, and container-level (enhanced) for each container
// name of a service. The dimensions come from what the ECS API said, so no
// ListMetrics scan is needed.
func (c *Collector) Queries(s *collector.Snapshot) []query {
	clusters := slices.Clone(c.opts.Clusters)
	families := map[[2]string]bool{}
	for _, svc := range s.Services {
		clusters = append(clusters, svc.Cluster)
	}
	slices.Sort(clusters)
	clusters = slices.Compact(clusters)

	qs := make([]query, 0, c.queries+c.queries/16)
	add := func(level ecsvocab.Level, id *collector.Identity, container string, dims dimensionSet) {
		for i := range ecsvocab.Metrics {
			m := &ecsvocab.Metrics[i]
			if (m.Enhanced && !c.opts.Enhanced) || !slices.Contains(m.Levels, level) {
				continue
			}
			qs = append(qs, query{metric: m, identity: id, container: container, dims: dims})
		}
	}
	for _, cl := range clusters {
		add(ecsvocab.Cluster, &collector.Identity{Cluster: cl}, "", clusterDims)
	}
	for _, svc := range s.Services {
		if !slices.Contains(clusters, svc.Cluster) {
			continue
		}
		service := &collector.Identity{Cluster: svc.Cluster, Service: svc.Name}
		add(ecsvocab.Service, service, "", serviceDims)
		for _, d := range svc.Deployments {
			family := ecsvocab.TaskFamily(d.TaskDefinition)
			if family != "" && !families[[2]string{svc.Cluster, family}] {
				families[[2]string{svc.Cluster, family}] = true
				add(ecsvocab.Family, &collector.Identity{Cluster: svc.Cluster, Family: family}, "", familyDims)
			}
		}
		for _, name := range svc.ContainerNames() {
			add(ecsvocab.Container, service, name, containerDims)
		}
	}
	return qs
}

// Collect reads every query's window, in calls of MaxQueries, and publishes
// the newest datapoint of each series.
func (c *Collector) Collect(ctx context.Context) error {
	return c.collect(ctx, c.Queries(c.store.Snapshot()))
}

func (c *Collector) collect(ctx context.Context, qs []query) error {
	now := c.now()
	end := now.Add(-c.opts.Delay).Truncate(c.opts.Period)
	start := end.Add(-c.opts.Lookback)
	c.queries = len(qs)
	found := make([]datapoint, len(qs)) // by query
	var err error
	for first := 0; first < len(qs) && err == nil; first += MaxQueries {
		last := min(first+MaxQueries, len(qs))
		err = c.fetch(ctx, qs[first:last], found[first:last], first, start, end)
	}
	// Published even when CloudWatch failed: the samples kept from earlier
	// runs age like the others, and one older than StaleAfter goes, so that
	// no exporter sends an old datapoint as current during an outage.
	c.published = c.merge(qs, found, now)
	c.store.Apply(Name, collector.Contribution{Insights: c.published})
	return err
}

// merge returns each series' newest datapoint: found (by query) where it is
// newer than the one published, the published one otherwise. A datapoint
// older than the one published (late data for an earlier minute) is not
// exported: each value goes out once, in order. A series whose newest
// datapoint is older than StaleAfter goes: no data for too long is no
// series, never a zero. found is consumed.
func (c *Collector) merge(qs []query, found []datapoint, now time.Time) []collector.InsightsSample {
	// Which datapoints go out, first, so that out is made at its size: at
	// 10x it is a quarter of a million samples, and growing it by doubling
	// while the published ones are alive was the read's top.
	replaced := make([]bool, len(c.published))
	n := len(c.published)
	for i, d := range found {
		if d.time.IsZero() {
			continue // missing data: no series rather than a zero
		}
		if j, ok := slices.BinarySearchFunc(c.published, qs[i].sample(d), compareSeries); ok {
			if !d.time.After(c.published[j].Time) {
				found[i] = datapoint{}
				continue
			}
			replaced[j] = true
			n--
		}
		n++
	}
	out := make([]collector.InsightsSample, 0, n) // empty, not nil: none left is news too
	for i, d := range found {
		if !d.time.IsZero() {
			out = append(out, qs[i].sample(d))
		}
	}
	for j, s := range c.published {
		if !replaced[j] {
			out = append(out, s)
		}
	}
	out = slices.DeleteFunc(out, func(s collector.InsightsSample) bool { return now.Sub(s.Time) > c.opts.StaleAfter })
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
