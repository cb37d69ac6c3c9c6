// Package ecsapi is the standalone collector: it reads services,
// deployments, running and stopped tasks and container instances of whole
// clusters from the ECS API, in as few calls as the API's batch limits allow,
// and publishes services and events to the Store through collector/health.
package ecsapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/health"
)

// Name is the collector's name in ecswatch_collector_* series.
const Name = "ecsapi"

// The API's batch limits.
const (
	listPageSize          = 100 // ListServices, ListTasks, ListContainerInstances maxResults
	describeServicesBatch = 10
	describeTasksBatch    = 100
	describeInstanceBatch = 100
)

// Options configure the collector.
type Options struct {
	// Clusters to watch; empty watches every cluster ListClusters returns.
	Clusters []string
	// CallTimeout bounds each API call, its retries included.
	CallTimeout time.Duration
	// Parallel is how many clusters, and describe batches within one, are
	// read at once.
	Parallel int
	Health   health.Options
}

// Collector reads clusters through the ECS API.
type Collector struct {
	client *ecs.Client
	store  *collector.Store
	logger *slog.Logger
	opts   Options
	now    func() time.Time

	mu          sync.Mutex
	trackers    map[string]*health.Tracker      // by cluster: clusters are read concurrently
	lastGood    map[string][]*collector.Service // by cluster, kept while a cluster fails
	stoppedSeen map[string]bool                 // stopped task ARNs already described
	failing     map[string]bool                 // clusters whose failure was logged
}

// New returns a Collector using client.
func New(client *ecs.Client, store *collector.Store, logger *slog.Logger, opts Options) *Collector {
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	return &Collector{
		client: client, store: store, logger: logger, opts: opts, now: time.Now,
		trackers:    map[string]*health.Tracker{},
		lastGood:    map[string][]*collector.Service{},
		stoppedSeen: map[string]bool{},
		failing:     map[string]bool{},
	}
}

// Name implements collector.Collector.
func (c *Collector) Name() string { return Name }

// SetClock replaces time.Now, for simulations on a fake clock.
func (c *Collector) SetClock(now func() time.Time) { c.now = now }

// Collect reads every cluster. A failing cluster keeps its last good
// services and makes the run an error; the other clusters are published.
func (c *Collector) Collect(ctx context.Context) error {
	clusters := c.opts.Clusters
	if len(clusters) == 0 {
		var err error
		if clusters, err = c.listClusters(ctx); err != nil {
			return err
		}
	}
	type result struct {
		services []*collector.Service
		events   []collector.Event
		err      error
	}
	results := make([]result, len(clusters))
	g := errgroup.Group{}
	g.SetLimit(c.opts.Parallel)
	for i, cluster := range clusters {
		g.Go(func() error {
			s, e, err := c.collectCluster(ctx, cluster)
			results[i] = result{s, e, err}
			return nil
		})
	}
	_ = g.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		errs     []error
		services []*collector.Service
		events   []collector.Event
	)
	for i, cluster := range clusters {
		r := results[i]
		if r.err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", cluster, r.err))
			if !c.failing[cluster] {
				c.logger.Warn("cannot read cluster; keeping its last data", "cluster", cluster, "err", r.err)
				c.failing[cluster] = true
			}
		} else {
			if c.failing[cluster] {
				c.logger.Info("cluster readable again", "cluster", cluster)
				delete(c.failing, cluster)
			}
			c.lastGood[cluster] = r.services
			events = append(events, r.events...)
		}
		services = append(services, c.lastGood[cluster]...)
	}
	for cluster := range c.lastGood {
		if !slices.Contains(clusters, cluster) {
			delete(c.lastGood, cluster)
			delete(c.trackers, cluster)
		}
	}
	for _, ev := range c.store.Record(events...) {
		collector.LogEvent(c.logger, ev)
	}
	c.store.SetServices(Name, services)
	return errors.Join(errs...)
}

// call bounds one API call, retries included, by CallTimeout.
func call[T any](ctx context.Context, timeout time.Duration, fn func(context.Context) (T, error)) (T, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return fn(ctx)
}

func (c *Collector) listClusters(ctx context.Context) ([]string, error) {
	var arns []string
	p := ecs.NewListClustersPaginator(c.client, &ecs.ListClustersInput{MaxResults: aws.Int32(listPageSize)})
	for p.HasMorePages() {
		out, err := call(ctx, c.opts.CallTimeout, func(ctx context.Context) (*ecs.ListClustersOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		arns = append(arns, out.ClusterArns...)
	}
	names := make([]string, len(arns))
	for i, a := range arns {
		names[i] = lastSegment(a)
	}
	return names, nil
}

// collectCluster reads one cluster and applies the health rules to it.
func (c *Collector) collectCluster(ctx context.Context, cluster string) ([]*collector.Service, []collector.Event, error) {
	var (
		services  []types.Service
		tasks     []types.Task
		instances []types.ContainerInstance
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { services, err = c.services(gctx, cluster); return })
	g.Go(func() (err error) { tasks, err = c.tasks(gctx, cluster); return })
	g.Go(func() (err error) { instances, err = c.instances(gctx, cluster); return })
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	now := c.now()

	c.mu.Lock()
	tracker := c.trackers[cluster]
	if tracker == nil {
		tracker = health.NewTracker(c.opts.Health)
		c.trackers[cluster] = tracker
	}
	c.mu.Unlock()

	// Task size per task definition, and the containers of each service's
	// task families, from the running tasks that report them.
	type size struct{ cpu, mem int }
	sizes := map[string]size{}
	containers := map[string][]collector.TaskContainer{} // by service
	var events []collector.Event
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) == "STOPPED" || aws.ToString(t.DesiredStatus) == "STOPPED" {
			if t.StoppedAt == nil && aws.ToString(t.LastStatus) != "STOPPED" {
				continue // still stopping: its stop reason is not final yet
			}
			if !tracker.Learning() {
				events = append(events, health.StoppedTask(stoppedInfo(cluster, t))...)
			}
			continue
		}
		td := shortTaskDefinition(aws.ToString(t.TaskDefinitionArn))
		cpu, _ := strconv.Atoi(aws.ToString(t.Cpu))
		mem, _ := strconv.Atoi(aws.ToString(t.Memory))
		if cpu > 0 || mem > 0 {
			sizes[td] = size{cpu, mem}
		}
		if svc := health.ServiceFromGroup(aws.ToString(t.Group)); svc != "" {
			family := taskFamily(td)
			for _, ct := range t.Containers {
				tc := collector.TaskContainer{Family: family, Name: aws.ToString(ct.Name)}
				if !slices.Contains(containers[svc], tc) {
					containers[svc] = append(containers[svc], tc)
				}
			}
		}
	}
	var free []health.Instance
	for _, in := range instances {
		if aws.ToString(in.Status) != "ACTIVE" || !in.AgentConnected {
			continue
		}
		free = append(free, health.Instance{
			RemainingCPU:    resource(in.RemainingResources, "CPU"),
			RemainingMemory: resource(in.RemainingResources, "MEMORY"),
		})
	}

	out := make([]*collector.Service, 0, len(services))
	keep := map[string]bool{}
	for _, s := range services {
		svc := translateService(cluster, s)
		svc.TaskContainers = containers[svc.Name]
		slices.SortFunc(svc.TaskContainers, func(a, b collector.TaskContainer) int {
			return cmp.Or(strings.Compare(a.Family, b.Family), strings.Compare(a.Name, b.Name))
		})
		if p := svc.Primary(); p != nil {
			sz := sizes[p.TaskDefinition]
			svc.TaskCPUUnits, svc.TaskMemoryMiB = sz.cpu, sz.mem
		}
		events = append(events, tracker.Service(now, svc)...)
		health.Headroom(svc, free)
		keep[svc.Name] = true
		out = append(out, svc)
	}
	tracker.EndCycle(keep)
	return out, events, nil
}

// services lists and describes every service of the cluster.
func (c *Collector) services(ctx context.Context, cluster string) ([]types.Service, error) {
	var arns []string
	p := ecs.NewListServicesPaginator(c.client, &ecs.ListServicesInput{Cluster: &cluster, MaxResults: aws.Int32(listPageSize)})
	for p.HasMorePages() {
		out, err := call(ctx, c.opts.CallTimeout, func(ctx context.Context) (*ecs.ListServicesOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, fmt.Errorf("list services: %w", err)
		}
		arns = append(arns, out.ServiceArns...)
	}
	return describe(ctx, c, arns, describeServicesBatch, func(ctx context.Context, batch []string) ([]types.Service, error) {
		out, err := c.client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &cluster, Services: batch})
		if err != nil {
			return nil, fmt.Errorf("describe services: %w", err)
		}
		return out.Services, nil
	})
}

// tasks lists running and stopped tasks and describes the running ones and
// the stopped ones not described before, together, in batches of 100.
func (c *Collector) tasks(ctx context.Context, cluster string) ([]types.Task, error) {
	running, err := c.listTasks(ctx, cluster, types.DesiredStatusRunning)
	if err != nil {
		return nil, err
	}
	stopped, err := c.listTasks(ctx, cluster, types.DesiredStatusStopped)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	arns := running
	for _, a := range stopped {
		if !c.stoppedSeen[a] {
			arns = append(arns, a)
		}
	}
	c.mu.Unlock()

	tasks, err := describe(ctx, c, arns, describeTasksBatch, func(ctx context.Context, batch []string) ([]types.Task, error) {
		out, err := c.client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: batch})
		if err != nil {
			return nil, fmt.Errorf("describe tasks: %w", err)
		}
		return out.Tasks, nil
	})
	if err != nil {
		return nil, err
	}
	// Remember stopped tasks described with a final status, and forget the
	// ones ECS no longer lists, so the set stays the size of an hour of
	// stopped tasks.
	c.mu.Lock()
	defer c.mu.Unlock()
	listed := make(map[string]bool, len(stopped))
	for _, a := range stopped {
		listed[a] = true
	}
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) == "STOPPED" {
			c.stoppedSeen[aws.ToString(t.TaskArn)] = true
		}
	}
	prefix := "/" + cluster + "/"
	for a := range c.stoppedSeen {
		if strings.Contains(a, prefix) && !listed[a] {
			delete(c.stoppedSeen, a)
		}
	}
	return tasks, nil
}

func (c *Collector) listTasks(ctx context.Context, cluster string, status types.DesiredStatus) ([]string, error) {
	var arns []string
	p := ecs.NewListTasksPaginator(c.client, &ecs.ListTasksInput{Cluster: &cluster, DesiredStatus: status, MaxResults: aws.Int32(listPageSize)})
	for p.HasMorePages() {
		out, err := call(ctx, c.opts.CallTimeout, func(ctx context.Context) (*ecs.ListTasksOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, fmt.Errorf("list %s tasks: %w", strings.ToLower(string(status)), err)
		}
		arns = append(arns, out.TaskArns...)
	}
	return arns, nil
}

// instances lists and describes the cluster's ACTIVE container instances.
func (c *Collector) instances(ctx context.Context, cluster string) ([]types.ContainerInstance, error) {
	var arns []string
	p := ecs.NewListContainerInstancesPaginator(c.client, &ecs.ListContainerInstancesInput{
		Cluster: &cluster, Status: types.ContainerInstanceStatusActive, MaxResults: aws.Int32(listPageSize),
	})
	for p.HasMorePages() {
		out, err := call(ctx, c.opts.CallTimeout, func(ctx context.Context) (*ecs.ListContainerInstancesOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, fmt.Errorf("list container instances: %w", err)
		}
		arns = append(arns, out.ContainerInstanceArns...)
	}
	return describe(ctx, c, arns, describeInstanceBatch, func(ctx context.Context, batch []string) ([]types.ContainerInstance, error) {
		out, err := c.client.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: batch})
		if err != nil {
			return nil, fmt.Errorf("describe container instances: %w", err)
		}
		return out.ContainerInstances, nil
	})
}

// describe calls fn on batches of at most size ARNs, up to Parallel at once,
// and returns the results in order.
func describe[T any](ctx context.Context, c *Collector, arns []string, size int, fn func(context.Context, []string) ([]T, error)) ([]T, error) {
	batches := slices.Collect(slices.Chunk(arns, size))
	results := make([][]T, len(batches))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Parallel)
	for i, batch := range batches {
		g.Go(func() (err error) {
			results[i], err = call(gctx, c.opts.CallTimeout, func(ctx context.Context) ([]T, error) { return fn(ctx, batch) })
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.Concat(results...), nil
}

func translateService(cluster string, s types.Service) *collector.Service {
	svc := &collector.Service{
		Cluster: cluster, Name: aws.ToString(s.ServiceName), ARN: aws.ToString(s.ServiceArn),
		LaunchType: string(s.LaunchType), Status: aws.ToString(s.Status),
		Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount),
		// ECS's defaults for a rolling deployment.
		MaximumPercent: 200, MinimumHealthyPercent: 100,
	}
	if dc := s.DeploymentConfiguration; dc != nil {
		if dc.MaximumPercent != nil {
			svc.MaximumPercent = int(*dc.MaximumPercent)
		}
		if dc.MinimumHealthyPercent != nil {
			svc.MinimumHealthyPercent = int(*dc.MinimumHealthyPercent)
		}
		if cb := dc.DeploymentCircuitBreaker; cb != nil {
			svc.CircuitBreaker, svc.Rollback = cb.Enable, cb.Rollback
		}
	}
	for _, d := range s.Deployments {
		svc.Deployments = append(svc.Deployments, collector.Deployment{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status),
			TaskDefinition: shortTaskDefinition(aws.ToString(d.TaskDefinition)),
			RolloutState:   string(d.RolloutState), RolloutStateReason: aws.ToString(d.RolloutStateReason),
			Desired: int(d.DesiredCount), Running: int(d.RunningCount), Pending: int(d.PendingCount), Failed: int(d.FailedTasks),
			CreatedAt: aws.ToTime(d.CreatedAt), UpdatedAt: aws.ToTime(d.UpdatedAt),
		})
	}
	for _, e := range s.Events {
		svc.Events = append(svc.Events, collector.ServiceEvent{ID: aws.ToString(e.Id), CreatedAt: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
	return svc
}

func stoppedInfo(cluster string, t types.Task) health.StoppedTaskInfo {
	info := health.StoppedTaskInfo{
		ARN: aws.ToString(t.TaskArn), Cluster: cluster, Service: health.ServiceFromGroup(aws.ToString(t.Group)),
		Family:   taskFamily(shortTaskDefinition(aws.ToString(t.TaskDefinitionArn))),
		StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason), StoppedAt: aws.ToTime(t.StoppedAt),
	}
	for _, ct := range t.Containers {
		sc := health.StoppedContainer{Name: aws.ToString(ct.Name), Reason: aws.ToString(ct.Reason)}
		if ct.ExitCode != nil {
			code := int(*ct.ExitCode)
			sc.ExitCode = &code
		}
		info.Containers = append(info.Containers, sc)
	}
	return info
}

func resource(rs []types.Resource, name string) int {
	for _, r := range rs {
		if aws.ToString(r.Name) == name {
			return int(r.IntegerValue)
		}
	}
	return 0
}

// shortTaskDefinition turns a task definition ARN into family:revision, the
// bounded form used as a label.
func shortTaskDefinition(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

// taskFamily is the family of a family:revision.
func taskFamily(td string) string {
	family, _, _ := strings.Cut(td, ":")
	return family
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
