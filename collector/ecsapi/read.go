package ecsapi

// The readers: one per API family, listing in pages of 100 and describing
// in the largest batches the API allows, every call bounded by CallTimeout.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"golang.org/x/sync/errgroup"
)

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
	arns, err := allPages(ctx, c.opts.CallTimeout, "list clusters",
		ecs.NewListClustersPaginator(c.client, &ecs.ListClustersInput{MaxResults: aws.Int32(listPageSize)}),
		func(out *ecs.ListClustersOutput) []string { return out.ClusterArns })
	if err != nil {
		return nil, err
	}
	names := make([]string, len(arns))
	for i, a := range arns {
		names[i] = ecsvocab.ResourceID(a)
	}
	return names, nil
}

// services lists and describes every service of the cluster.
func (c *Collector) services(ctx context.Context, cluster string) ([]types.Service, error) {
	arns, err := allPages(ctx, c.opts.CallTimeout, "list services",
		ecs.NewListServicesPaginator(c.client, &ecs.ListServicesInput{Cluster: &cluster, MaxResults: aws.Int32(listPageSize)}),
		func(out *ecs.ListServicesOutput) []string { return out.ServiceArns })
	if err != nil {
		return nil, err
	}
	return describe(ctx, c, arns, describeServicesBatch, func(ctx context.Context, batch []string) ([]types.Service, error) {
		out, err := c.client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &cluster, Services: batch}, withLeanDecoder)
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
		in := &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: batch}
		if c.opts.TaskTags {
			in.Include = []types.TaskField{types.TaskFieldTags}
		}
		out, err := c.client.DescribeTasks(ctx, in, withLeanDecoder)
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
			// A copy: the ARN shares its block with the task's other
			// strings (lean.go), which an hour of stopped tasks would keep.
			c.stoppedSeen[strings.Clone(aws.ToString(t.TaskArn))] = true
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
	return allPages(ctx, c.opts.CallTimeout, "list "+strings.ToLower(string(status))+" tasks",
		ecs.NewListTasksPaginator(c.client, &ecs.ListTasksInput{Cluster: &cluster, DesiredStatus: status, MaxResults: aws.Int32(listPageSize)}),
		func(out *ecs.ListTasksOutput) []string { return out.TaskArns })
}

// instances lists and describes the cluster's container instances.
func (c *Collector) instances(ctx context.Context, cluster string) ([]types.ContainerInstance, error) {
	arns, err := allPages(ctx, c.opts.CallTimeout, "list container instances",
		ecs.NewListContainerInstancesPaginator(c.client, &ecs.ListContainerInstancesInput{
			// No status filter: every status but INACTIVE, so that draining
			// instances are counted too (headroom uses ACTIVE ones only).
			Cluster: &cluster, MaxResults: aws.Int32(listPageSize),
		}),
		func(out *ecs.ListContainerInstancesOutput) []string { return out.ContainerInstanceArns })
	if err != nil {
		return nil, err
	}
	return describe(ctx, c, arns, describeInstanceBatch, func(ctx context.Context, batch []string) ([]types.ContainerInstance, error) {
		out, err := c.client.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: batch})
		if err != nil {
			return nil, fmt.Errorf("describe container instances: %w", err)
		}
		return out.ContainerInstances, nil
	})
}

// pager is what the SDK's List* paginators have in common.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ecs.Options)) (O, error)
}

// allPages reads every page of p, each call bounded by timeout, and returns
// the ARNs items takes from each.
func allPages[O any](ctx context.Context, timeout time.Duration, what string, p pager[O], items func(O) []string) ([]string, error) {
	var arns []string
	for p.HasMorePages() {
		// ListTasks and ListServices pages are decoded lean (lean.go).
		out, err := call(ctx, timeout, func(ctx context.Context) (O, error) { return p.NextPage(ctx, withLeanDecoder) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		arns = append(arns, items(out)...)
	}
	return arns, nil
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

// serviceDeployments returns the newest service deployment of each service
// in since (by service ARN): services with a deployment ongoing or recently
// finished, each with the earliest createdAt its deployment can have. It
// lists each service's service deployments created since then (one page
// in practice) and describes the newest of each, in batches of 20; a
// completed one never changes and is described once.
func (c *Collector) serviceDeployments(ctx context.Context, cluster string, since map[string]time.Time) (map[string]types.ServiceDeployment, error) {
	if len(since) == 0 {
		return nil, nil
	}
	services := slices.Sorted(maps.Keys(since))
	newest := make([]types.ServiceDeploymentBrief, len(services))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Parallel)
	for i, svc := range services {
		g.Go(func() error {
			// The SDK has no paginator for this operation.
			in := &ecs.ListServiceDeploymentsInput{
				Cluster: &cluster, Service: &svc, CreatedAt: &types.CreatedAt{After: aws.Time(since[svc])}, MaxResults: aws.Int32(listPageSize),
			}
			for {
				out, err := call(gctx, c.opts.CallTimeout, func(ctx context.Context) (*ecs.ListServiceDeploymentsOutput, error) {
					return c.client.ListServiceDeployments(ctx, in)
				})
				if err != nil {
					return fmt.Errorf("list service deployments of %s: %w", ecsvocab.ResourceID(svc), err)
				}
				for _, b := range out.ServiceDeployments {
					if newest[i].ServiceDeploymentArn == nil || aws.ToTime(b.CreatedAt).After(aws.ToTime(newest[i].CreatedAt)) {
						newest[i] = b
					}
				}
				if aws.ToString(out.NextToken) == "" {
					break
				}
				in.NextToken = out.NextToken
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	out := make(map[string]types.ServiceDeployment, len(services))
	var arns []string
	c.mu.Lock()
	for i, svc := range services {
		arn := aws.ToString(newest[i].ServiceDeploymentArn)
		if arn == "" {
			continue
		}
		if done, ok := c.completed[svc]; ok && aws.ToString(done.ServiceDeploymentArn) == arn {
			out[svc] = done
			continue
		}
		arns = append(arns, arn)
	}
	c.mu.Unlock()
	described, err := describe(ctx, c, arns, describeServiceDeploymentsBatch, func(ctx context.Context, batch []string) ([]types.ServiceDeployment, error) {
		out, err := c.client.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: batch})
		if err != nil {
			return nil, fmt.Errorf("describe service deployments: %w", err)
		}
		return out.ServiceDeployments, nil
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sd := range described {
		svc := aws.ToString(sd.ServiceArn)
		out[svc] = sd
		if ecsvocab.ServiceDeploymentCompleted(string(sd.Status)) {
			c.completed[svc] = sd
		}
	}
	return out, nil
}
