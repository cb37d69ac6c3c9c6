// Package ecssd is Prometheus service discovery for ECS, fed by the
// standalone collector: from each cluster's running tasks and container
// instances, read every cycle anyway, plus task definitions (described once
// each: they are immutable) and EC2 instance private IPs (described once per
// instance), it builds the target groups of Prometheus's HTTP service
// discovery and file_sd formats. An answer is always the latest snapshot: it
// never waits on AWS.
package ecssd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
)

// SkippedMetric counts task definitions whose docker labels are malformed,
// by reason: their label targets are left out of every answer.
const SkippedMetric = "ecswatch_sd_task_definitions_skipped_total"

// Roles of a target.
const (
	// RoleSidecar is an ecswatch sidecar, found by container name or image.
	RoleSidecar = "sidecar"
	// RoleExporter is a container that asks to be scraped in its docker labels.
	RoleExporter = "exporter"
)

// describeInstancesBatch bounds the instance IDs of one DescribeInstances
// call, whose request must stay a reasonable size.
const describeInstancesBatch = 100

// InstancesAPI is the EC2 call discovery makes, for the private IPs of
// container instances (bridge and host network modes).
type InstancesAPI interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// Options configure discovery.
type Options struct {
	// SidecarNames are the container names of ecswatch sidecars.
	SidecarNames []string
	// SidecarImages are substrings of the image of ecswatch sidecars.
	SidecarImages []string
	// SidecarPort and SidecarPath are where a sidecar without scrape labels
	// serves its metrics.
	SidecarPort int
	SidecarPath string
	// CallTimeout bounds each EC2 call.
	CallTimeout time.Duration
	// File, when set, receives every new answer in file_sd format,
	// written to a temporary file and renamed over it.
	File string
}

// Discovery turns the standalone collector's view into targets.
type Discovery struct {
	taskDefs *taskdefs.Cache // shared with the collector
	ec2      InstancesAPI
	store    *collector.Store // for SkippedMetric; may be nil
	logger   *slog.Logger
	opts     Options

	mu        sync.Mutex
	defs      map[string]*taskDef       // by task definition ARN; immutable, kept while a task uses one
	defsIn    map[string][]string       // task definition ARNs in use by cluster, to forget the others
	ips       map[string]string         // EC2 private IPv4 by instance ID
	instances map[string][]string       // EC2 instance IDs by cluster, to forget the others' IPs
	byCluster map[string]*clusterAnswer // the latest targets of each cluster
	fileErr   string                    // the last file_sd write error logged
	answer    atomic.Pointer[answer]    // nil until a cluster was observed
}

// taskDef is what discovery keeps of a task definition.
type taskDef struct {
	family      string
	revision    int
	networkMode types.NetworkMode
	containers  map[string]containerDef
	labelsErr   error // malformed labels: no exporter targets
}

type containerDef struct {
	image  string
	labels map[string]string
	ports  []port // asked for by labels
}

// New returns a Discovery that learns task definitions through taskDefs,
// the cache the standalone collector shares, and instance IPs through
// ec2Client (nil: none, for bridge and host mode tasks no targets).
func New(taskDefs *taskdefs.Cache, ec2Client InstancesAPI, store *collector.Store, logger *slog.Logger, opts Options) *Discovery {
	if opts.SidecarPath == "" {
		opts.SidecarPath = defaultPath
	}
	return &Discovery{
		taskDefs: taskDefs, ec2: ec2Client, store: store, logger: logger, opts: opts,
		defs: map[string]*taskDef{}, defsIn: map[string][]string{}, ips: map[string]string{}, instances: map[string][]string{},
		byCluster: map[string]*clusterAnswer{},
	}
}

// Observe takes a cluster's tasks and container instances as the standalone
// collector read them, describes what it does not know yet, and publishes
// the cluster's targets. The collector calls it for each cluster read
// successfully; a cluster that fails keeps its last targets.
func (d *Discovery) Observe(ctx context.Context, cluster string, tasks []types.Task, instances []types.ContainerInstance) {
	// Pointers, by service then task: a cluster's tasks are rendered a
	// service at a time.
	var running []runningTask
	for i := range tasks {
		t := &tasks[i]
		// A task ECS is stopping (desired STOPPED) is leaving: drop it now.
		if aws.ToString(t.LastStatus) == "RUNNING" && aws.ToString(t.DesiredStatus) == "RUNNING" {
			running = append(running, newRunningTask(t))
		}
	}
	slices.SortStableFunc(running, func(a, b runningTask) int {
		return cmp.Or(strings.Compare(a.service, b.service), strings.Compare(a.id, b.id))
	})
	d.describeTaskDefinitions(ctx, running)
	arns := make([]string, 0, len(running))
	for _, t := range running {
		arns = append(arns, aws.ToString(t.TaskDefinitionArn))
	}
	d.mu.Lock()
	keepOnly(d.defs, d.defsIn, cluster, arns) // a revision no task runs any more is not needed again
	d.mu.Unlock()

	ec2IDs := map[string]string{} // by container instance ARN
	var ids []string
	for _, in := range instances {
		if id := aws.ToString(in.Ec2InstanceId); id != "" {
			ec2IDs[aws.ToString(in.ContainerInstanceArn)] = id
			ids = append(ids, id)
		}
	}
	d.describeInstances(ctx, cluster, running, ec2IDs, ids)

	d.mu.Lock()
	defer d.mu.Unlock()
	prev := d.byCluster[cluster]
	size := len(running)
	if prev != nil {
		size = len(prev.targets)
	}
	b := newAnswerBuilder(cluster, size)
	var targets []Target
	for first := 0; first < len(running); {
		service := running[first].service
		targets = targets[:0]
		for ; first < len(running) && running[first].service == service; first++ {
			targets = append(targets, d.targetsOf(prev, cluster, running[first], ec2IDs)...)
		}
		sortTargets(targets)
		if err := b.add(service, targets); err != nil {
			d.logger.Error("service discovery: cannot render a target; keeping the cluster's last targets", "cluster", cluster, "err", err)
			return
		}
	}
	answer := b.answer()
	d.byCluster[cluster] = answer
	d.publishLocked(!answer.same(prev))
}

// Forget drops a cluster the collector no longer reads (deleted): its
// targets go at once, with the task definitions and instance addresses
// only it used. A cluster that fails to be read is not forgotten: it keeps
// its last targets.
func (d *Discovery) Forget(cluster string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, known := d.byCluster[cluster]; !known {
		return
	}
	delete(d.byCluster, cluster)
	keepOnly(d.defs, d.defsIn, cluster, nil)
	keepOnly(d.ips, d.instances, cluster, nil)
	d.publishLocked(true)
}

// runningTask is a running task with its service and ID.
type runningTask struct {
	*types.Task
	service, id string
}

func newRunningTask(t *types.Task) runningTask {
	return runningTask{t, rules.ServiceFromGroup(aws.ToString(t.Group)), ecsvocab.ResourceID(aws.ToString(t.TaskArn))}
}

// targetsOf renders t's targets, or keeps those it had in prev where it
// cannot be rendered afresh. Called with d.mu held.
func (d *Discovery) targetsOf(prev *clusterAnswer, cluster string, t runningTask, ec2IDs map[string]string) []Target {
	def := d.defs[aws.ToString(t.TaskDefinitionArn)]
	if def == nil {
		// Not describable this cycle: keep what the task had.
		return prev.ofTask(t.service, t.id)
	}
	instanceID := ec2IDs[aws.ToString(t.ContainerInstanceArn)]
	ip, known := d.ips[instanceID]
	if !known && instanceAddressed(def.networkMode) {
		if kept := prev.ofTask(t.service, t.id); len(kept) > 0 {
			// Its instance could not be described this cycle: keep
			// what the task had rather than flap.
			return kept
		}
	}
	return taskTargets(cluster, t, def, instanceID, ip, d.opts)
}

// describeTaskDefinitions learns, once each, the task definitions of tasks
// not known yet, through the cache the collector shares. One that cannot be
// described is asked again at the next cycle.
func (d *Discovery) describeTaskDefinitions(ctx context.Context, tasks []runningTask) {
	var missing []string
	d.mu.Lock()
	for _, t := range tasks {
		if arn := aws.ToString(t.TaskDefinitionArn); arn != "" && d.defs[arn] == nil && !slices.Contains(missing, arn) {
			missing = append(missing, arn)
		}
	}
	d.mu.Unlock()
	if len(missing) == 0 {
		return
	}
	described, err := d.taskDefs.Get(ctx, missing)
	if err != nil {
		d.logger.Warn("service discovery: cannot describe task definitions; their tasks keep their last targets and are retried next cycle", "err", err)
	}
	for _, arn := range missing {
		td := described[ecsvocab.TaskDefinition(arn)]
		if td == nil {
			continue
		}
		def := parseTaskDefinition(*td)
		d.mu.Lock()
		// Clusters are observed at once and may share a definition: the
		// first to parse it reports its labels.
		known := d.defs[arn] != nil
		if !known {
			d.defs[strings.Clone(arn)] = def // kept: off the decoder's arena
		}
		d.mu.Unlock()
		if known || def.labelsErr == nil {
			continue
		}
		d.logger.Warn("service discovery: malformed scrape labels; this task definition's label targets are skipped",
			"task_definition", arn, "err", def.labelsErr)
		if d.store != nil {
			var le *labelError
			errors.As(def.labelsErr, &le)
			d.store.Count(SkippedMetric, le.Reason, 1)
		}
	}
}

// describeInstances learns the private IPs of the EC2 instances that
// bridge and host mode tasks run on, in batches, once per instance.
func (d *Discovery) describeInstances(ctx context.Context, cluster string, tasks []runningTask, ec2IDs map[string]string, clusterIDs []string) {
	d.mu.Lock()
	keepOnly(d.ips, d.instances, cluster, clusterIDs) // forget instances that left every watched cluster
	var missing []string
	for _, t := range tasks {
		def := d.defs[aws.ToString(t.TaskDefinitionArn)]
		if def == nil || !instanceAddressed(def.networkMode) {
			continue
		}
		id := ec2IDs[aws.ToString(t.ContainerInstanceArn)]
		// ECS Anywhere instances (mi-...) are not EC2's to describe.
		if _, ok := d.ips[id]; !ok && strings.HasPrefix(id, "i-") && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	d.mu.Unlock()
	if len(missing) == 0 || d.ec2 == nil {
		return
	}
	slices.Sort(missing)
	for batch := range slices.Chunk(missing, describeInstancesBatch) {
		cctx, cancel := d.callContext(ctx)
		ips, err := d.privateIPs(cctx, batch)
		cancel()
		if err != nil {
			d.logger.Warn("service discovery: cannot describe EC2 instances; their bridge and host mode targets wait for the next cycle",
				"cluster", cluster, "instances", len(batch), "err", err)
			continue
		}
		d.mu.Lock()
		for id, ip := range ips {
			d.ips[id] = ip
		}
		d.mu.Unlock()
	}
}

func (d *Discovery) privateIPs(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	p := ec2.NewDescribeInstancesPaginator(d.ec2, &ec2.DescribeInstancesInput{InstanceIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				if ip := aws.ToString(in.PrivateIpAddress); ip != "" {
					out[aws.ToString(in.InstanceId)] = ip
				}
			}
		}
	}
	return out, nil
}

func (d *Discovery) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d.opts.CallTimeout > 0 {
		return context.WithTimeout(ctx, d.opts.CallTimeout)
	}
	return context.WithCancel(ctx)
}

// parseTaskDefinition keeps what discovery needs of td.
func parseTaskDefinition(td types.TaskDefinition) *taskDef {
	def := &taskDef{
		family: aws.ToString(td.Family), revision: int(td.Revision), networkMode: td.NetworkMode,
		containers: map[string]containerDef{},
	}
	for _, cd := range td.ContainerDefinitions {
		ports, err := containerPorts(cd)
		if err != nil && def.labelsErr == nil {
			def.labelsErr = err
		}
		def.containers[aws.ToString(cd.Name)] = containerDef{image: aws.ToString(cd.Image), labels: cd.DockerLabels, ports: ports}
	}
	if def.labelsErr != nil {
		for name, cd := range def.containers {
			cd.ports = nil
			def.containers[name] = cd
		}
	}
	return def
}

// instanceAddressed says whether a network mode's tasks are reached at
// their container instance's address: bridge (the default where none is
// set) and host.
func instanceAddressed(mode types.NetworkMode) bool {
	return mode != types.NetworkModeAwsvpc && mode != types.NetworkModeNone
}

// keepOnly records the keys cluster uses in byCluster (none: the cluster
// leaves it), and deletes from m every key no watched cluster uses any
// more. Called with d.mu held.
func keepOnly[V any](m map[string]V, byCluster map[string][]string, cluster string, keys []string) {
	// Kept until the next cycle: each key once (a task definition is named
	// by every task that runs it), and copied off the decoder's arenas,
	// which one kept string would hold whole.
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	for i, k := range keys {
		keys[i] = strings.Clone(k)
	}
	if len(keys) == 0 {
		delete(byCluster, cluster)
	} else {
		byCluster[cluster] = slices.Clip(keys)
	}
	used := map[string]bool{}
	for _, ks := range byCluster {
		for _, k := range ks {
			used[k] = true
		}
	}
	for k := range m {
		if !used[k] {
			delete(m, k)
		}
	}
}
