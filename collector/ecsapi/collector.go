// Package ecsapi is the standalone collector: it reads services,
// deployments, running and stopped tasks and container instances of whole
// clusters from the ECS API, in as few calls as the API's batch limits allow,
// and publishes services and events to the Store through collector/rules.
package ecsapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
)

// Name is the collector's name in ecswatch_collector_* series.
const Name = "ecsapi"

// The API's batch limits.
const (
	listPageSize          = 100 // ListServices, ListTasks, ListContainerInstances maxResults
	describeServicesBatch = 10
	describeTasksBatch    = 100
	describeInstanceBatch = 100
	// DescribeServiceDeployments takes at most 20 ARNs.
	describeServiceDeploymentsBatch = 20
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
	Health   rules.Options
	// Observe, when set, receives each cluster's described tasks and
	// container instances after the cluster was read successfully, for
	// Prometheus service discovery (internal/ecssd). It runs within the
	// cycle, so its own calls are bounded by the cycle's timeout.
	Observe func(ctx context.Context, cluster string, tasks []types.Task, instances []types.ContainerInstance)
	// Forget, when set, is told of a cluster read before that
	// ListClusters no longer names (deleted): whatever Observe kept of it
	// is stale.
	Forget func(cluster string)
	// TaskTags asks DescribeTasks for the tasks' tags too: no extra call.
	TaskTags bool
	// TaskDefinitions is the task definition cache shared with service
	// discovery; nil gives the collector its own.
	TaskDefinitions *taskdefs.Cache
}

// Collector reads clusters through the ECS API.
type Collector struct {
	client *ecs.Client
	store  *collector.Store
	logger *slog.Logger
	opts   Options
	now    func() time.Time

	mu          sync.Mutex
	trackers    map[string]*rules.Tracker       // by cluster: clusters are read concurrently
	lastGood    map[string][]*collector.Service // by cluster, kept while a cluster fails
	stoppedSeen map[string]bool                 // stopped task ARNs already described
	taskDefs    *taskdefs.Cache                 // task definitions never change: described once
	clusters    map[string]*collector.Cluster   // by cluster, the last read
	failing     map[string]bool                 // clusters whose failure was logged
	// completed holds each service's newest service deployment once it
	// has completed: it never changes again. By service ARN.
	completed map[string]types.ServiceDeployment
	// watching holds the services whose newest service deployment was
	// still ongoing at the last read, with its createdAt, so that it is
	// read until it completes even once deployments[] has moved on (a
	// rollback lists a new deployment and drops the failed one).
	watching map[string]time.Time
}

// New returns a Collector using client.
func New(client *ecs.Client, store *collector.Store, logger *slog.Logger, opts Options) *Collector {
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.TaskDefinitions == nil {
		opts.TaskDefinitions = taskdefs.New(client, opts.CallTimeout, opts.Parallel)
	}
	return &Collector{
		client: client, store: store, logger: logger, opts: opts, now: time.Now,
		trackers:    map[string]*rules.Tracker{},
		lastGood:    map[string][]*collector.Service{},
		stoppedSeen: map[string]bool{},
		taskDefs:    opts.TaskDefinitions,
		clusters:    map[string]*collector.Cluster{},
		failing:     map[string]bool{},
		completed:   map[string]types.ServiceDeployment{},
		watching:    map[string]time.Time{},
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
		services = []*collector.Service{} // empty, not nil: no services is news too
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
	c.forgetUnusedTaskDefinitions()
	cls := c.clusterList(clusters)
	for cluster := range c.lastGood {
		if !slices.Contains(clusters, cluster) {
			delete(c.lastGood, cluster)
			delete(c.trackers, cluster)
			if c.opts.Forget != nil {
				c.opts.Forget(cluster)
			}
		}
	}
	fresh, _ := c.store.Apply(Name, collector.Contribution{Services: services, Events: events, Clusters: cls})
	for _, ev := range fresh {
		collector.LogEvent(c.logger, ev)
	}
	return errors.Join(errs...)
}

// collectCluster reads one cluster and applies the health rules to it.
func (c *Collector) collectCluster(ctx context.Context, cluster string) ([]*collector.Service, []collector.Event, error) {
	var (
		services  []types.Service
		tasks     []types.Task
		instances []types.ContainerInstance
	)
	var (
		rollouts   map[string]types.ServiceDeployment
		rolloutErr error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if services, err = c.services(gctx, cluster); err != nil {
			return err
		}
		// Auxiliary: without it the rules fall back to deployments[].
		rollouts, rolloutErr = c.serviceDeployments(gctx, cluster, c.rolloutsToRead(c.now(), services))
		return nil
	})
	g.Go(func() (err error) { tasks, err = c.tasks(gctx, cluster); return })
	g.Go(func() (err error) { instances, err = c.instances(gctx, cluster); return })
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if c.opts.Observe != nil {
		c.opts.Observe(ctx, cluster, tasks, instances)
	}
	now := c.now()
	c.noteRollouts(cluster, services, rollouts, rolloutErr)

	c.mu.Lock()
	tracker := c.trackers[cluster]
	if tracker == nil {
		tracker = rules.NewTracker(c.opts.Health)
		c.trackers[cluster] = tracker
	}
	c.mu.Unlock()

	// The containers of each service's task families, from its running
	// tasks.
	containers := map[string][]collector.TaskContainer{} // by service
	var events []collector.Event
	var stopped []rules.StoppedTaskInfo
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) == "STOPPED" || aws.ToString(t.DesiredStatus) == "STOPPED" {
			if t.StoppedAt == nil && aws.ToString(t.LastStatus) != "STOPPED" {
				continue // still stopping: its stop reason is not final yet
			}
			info := stoppedInfo(cluster, t)
			stopped = append(stopped, info)
			if !tracker.Learning() {
				events = append(events, rules.StoppedTask(info)...)
			}
			continue
		}
		td := ecsvocab.TaskDefinition(aws.ToString(t.TaskDefinitionArn))
		if svc := rules.ServiceFromGroup(aws.ToString(t.Group)); svc != "" {
			family := ecsvocab.TaskFamily(td)
			for _, ct := range t.Containers {
				tc := collector.TaskContainer{Family: family, Name: aws.ToString(ct.Name)}
				if !slices.Contains(containers[svc], tc) {
					// Kept in the model: copies, off the decoder's arena.
					tc.Family, tc.Name = strings.Clone(tc.Family), strings.Clone(tc.Name)
					containers[svc] = append(containers[svc], tc)
				}
			}
		}
	}
	tracker.ObserveStopped(stopped)
	free := headroomInstances(instances)
	defs := c.taskDefinitions(ctx, services)
	occupied := occupiedInstances(tasks)
	health := taskHealth(tasks)
	providers, provisioning := capacityOf(tasks)
	c.mu.Lock()
	c.clusters[cluster] = clusterOf(cluster, instances)
	c.mu.Unlock()

	out := make([]*collector.Service, 0, len(services))
	keep := map[string]bool{}
	for _, s := range services {
		svc := translateService(cluster, s)
		if sd, ok := rollouts[aws.ToString(s.ServiceArn)]; ok {
			svc.Rollout = translateRollout(sd)
		}
		svc.TaskContainers = containers[svc.Name]
		svc.TaskHealth = health[svc.Name]
		svc.Providers, svc.Provisioning = providers[svc.Name], provisioning[svc.Name]
		slices.SortFunc(svc.TaskContainers, func(a, b collector.TaskContainer) int {
			return cmp.Or(strings.Compare(a.Family, b.Family), strings.Compare(a.Name, b.Name))
		})
		events = append(events, tracker.Service(now, svc)...)
		tracker.CrashLoop(now, svc)
		if p, ok := placementOf(s, defs, occupied[svc.Name]); ok {
			rules.Headroom(svc, p, free)
		}
		keep[svc.Name] = true
		out = append(out, svc)
	}
	tracker.EndCycle(keep)
	return out, events, nil
}

// rolloutsToRead picks the ECS-controller services whose service
// deployments are read this cycle: those with a deployment in progress,
// more than one deployment, a deployment updated within the progress
// window, or a service deployment still ongoing at the last read. A quiet
// service costs no call. Each maps to the earliest createdAt its newest
// service deployment can have.
func (c *Collector) rolloutsToRead(now time.Time, services []types.Service) map[string]time.Time {
	recent := cmp.Or(c.opts.Health.ProgressWindow, rules.DefaultOptions.ProgressWindow)
	c.mu.Lock()
	defer c.mu.Unlock()
	since := map[string]time.Time{}
	for _, s := range services {
		if dc := s.DeploymentController; (dc != nil && dc.Type != types.DeploymentControllerTypeEcs) || len(s.Deployments) == 0 {
			continue
		}
		arn := aws.ToString(s.ServiceArn)
		watched, isWatched := c.watching[arn]
		active := isWatched || len(s.Deployments) > 1
		earliest := aws.ToTime(s.Deployments[0].CreatedAt)
		if isWatched && watched.Before(earliest) {
			earliest = watched
		}
		for _, d := range s.Deployments {
			active = active || d.RolloutState == types.DeploymentRolloutStateInProgress || now.Sub(aws.ToTime(d.UpdatedAt)) <= recent
			if t := aws.ToTime(d.CreatedAt); t.Before(earliest) {
				earliest = t
			}
		}
		if active {
			since[arn] = earliest.Add(-rules.SameDeployment)
		}
	}
	return since
}

// noteRollouts remembers which services' service deployments are still
// ongoing, and logs the reading failing and recovering once each.
func (c *Collector) noteRollouts(cluster string, services []types.Service, rollouts map[string]types.ServiceDeployment, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := "service deployments of " + cluster
	if err != nil {
		if !c.failing[key] {
			c.logger.Warn("cannot read service deployments; judging deployments from services[].deployments", "cluster", cluster, "err", err)
			c.failing[key] = true
		}
		return
	}
	if c.failing[key] {
		c.logger.Info("service deployments readable again", "cluster", cluster)
		delete(c.failing, key)
	}
	for _, s := range services {
		arn := aws.ToString(s.ServiceArn)
		if sd, ok := rollouts[arn]; ok && !ecsvocab.ServiceDeploymentCompleted(string(sd.Status)) {
			c.watching[arn] = aws.ToTime(sd.CreatedAt)
		} else {
			delete(c.watching, arn)
			if !ok {
				delete(c.completed, arn)
			}
		}
	}
}
