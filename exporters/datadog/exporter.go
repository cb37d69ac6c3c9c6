// Package datadog pushes the Store's snapshots to a Datadog Agent over
// DogStatsD: every catalogue metric under a Datadog name with the Agent's
// ECS tags, counters as counts of their increase, OOM kills and failed or
// stuck deployments as events, and a deployment service check per service.
//
// DogStatsD is fire-and-forget (UDP or a Unix datagram socket) and the client
// sends from its own goroutine, so a slow or absent Agent never holds up
// collection or scrapes; what the client drops is counted in
// ecswatch_exporter_dropped_total{exporter="datadog"}.
package datadog

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/exporters/push"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Name is the exporter's label in ecswatch_exporter_dropped_total.
const Name = "datadog"

// Options configure the exporter.
type Options struct {
	// Address of DogStatsD: host:port for UDP, unix:///path for a socket.
	// Empty lets the client read DD_DOGSTATSD_URL or DD_AGENT_HOST (and
	// DD_DOGSTATSD_PORT), as every Datadog library does.
	Address      string
	Namespace    string   // prefix of every name, e.g. "ecswatch."
	Tags         []string // global tags, e.g. env:prod
	PushInterval time.Duration
	// Naming is NamingEcswatch (empty means it) or NamingAgent.
	Naming string
	// TagCardinality is low (empty means it), orchestrator or high: which
	// of the Agent's tags NamingAgent adds, as DD_CHECKS_TAG_CARDINALITY.
	TagCardinality string
}

// Source is where snapshots come from; *collector.Store is one.
type Source interface {
	Snapshot() *collector.Snapshot
	Count(name, label string, n uint64)
	Exported(name string, t time.Time)
}

// Exporter pushes to DogStatsD.
type Exporter struct {
	client *statsd.Client
	source Source
	events <-chan collector.Event
	logger *slog.Logger
	opts   Options

	last   map[string]int64 // counter totals (in the sent unit) at the last push, by series key
	pushed bool             // a first push established the baseline
	// cpuLast is each container's CPU seconds and reading time at the last
	// push, for ecs.fargate.cpu.percent; by series key.
	cpuLast map[string]cpuReading
	drops   *push.Drops
}

// New returns an Exporter sending to opts.Address; events come from a Store
// subscription.
func New(source Source, events <-chan collector.Event, logger *slog.Logger, opts Options) (*Exporter, error) {
	opts = resolveEnv(opts, os.LookupEnv)
	// No client namespace: the Agent-compatible names are not namespaced,
	// so metricFor prefixes ecswatch's own names itself. The client adds
	// env, service and version from DD_ENV, DD_SERVICE and DD_VERSION.
	client, err := statsd.New(opts.Address,
		statsd.WithTags(opts.Tags),
		statsd.WithClientSideAggregation(),
		// Mutex mode, not channel mode: in channel mode Close stops the
		// workers with what is still in their input channels, and the
		// events drained at shutdown (the OOM kill that stopped the task)
		// were lost. The sender's own queue still keeps a slow socket from
		// blocking the pusher, and the write timeout bounds each write.
		statsd.WithWriteTimeout(100*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("datadog: dogstatsd client for %q: %w", opts.Address, err)
	}
	return &Exporter{client: client, source: source, events: events, logger: logger, opts: opts, last: map[string]int64{}, cpuLast: map[string]cpuReading{}, drops: push.NewDrops(source, Name)}, nil
}

// Run pushes every PushInterval and sends events as they come, until ctx ends.
func (e *Exporter) Run(ctx context.Context) {
	push.Loop(ctx, e.events, e.sendEvent, e.opts.PushInterval, e.Push)
}

// Shutdown sends what is pending, pushes once more and flushes the client.
func (e *Exporter) Shutdown(context.Context) error {
	collector.Drain(e.events, e.sendEvent)
	e.Push()
	return e.client.Close()
}

// Push sends one snapshot: metrics and service checks.
func (e *Exporter) Push() {
	snap := e.source.Snapshot()
	seen := make(map[string]bool, len(e.last))
	catalog.Walk(snap, func(smp *catalog.Sample) {
		name, typ, factor := e.metricFor(smp)
		if name == "" {
			return
		}
		tags := e.tags(smp)
		e.cpuPercent(smp, tags, seen)
		if typ == catalog.DatadogGauge {
			_ = e.client.Gauge(name, smp.Value*factor, tags, 1)
			return
		}
		key := name + "|" + strings.Join(tags, ",")
		seen[key] = true
		// Deltas of the scaled integer totals: no fraction is ever lost.
		total := int64(smp.Value * factor)
		prev, known := e.last[key]
		e.last[key] = total
		var delta int64
		switch {
		case known && total >= prev:
			delta = total - prev
		case known: // reset: the counter started again from zero
			delta = total
		case e.pushed || smp.Family.SinceStart:
			// A series born since the last push started at zero, and so
			// did one that counts only what this process saw: a kill
			// counted before the first push (a short task's sidecar, whose
			// first push is its last) is still sent.
			delta = total
		default:
			return // the first push only sets the baseline
		}
		// A count of 0 is sent too, as the Agent's checks do for a quiet
		// counter: a monitor on network errors then has data, and reads
		// 0 rather than "no data".
		_ = e.client.Count(name, delta, tags, 1)
	})
	for key := range e.last {
		if !seen[key] {
			delete(e.last, key)
		}
	}
	for key := range e.cpuLast {
		if !seen[key] {
			delete(e.cpuLast, key)
		}
	}
	e.pushed = true
	for _, svc := range snap.Services {
		e.serviceCheck(svc)
	}
	_ = e.client.Flush()
	tm := e.client.GetTelemetry()
	e.drops.Total(tm.TotalDroppedOnReceive + tm.TotalPayloadsDropped)
	e.source.Exported(Name, snap.Time)
}

// tags are the Datadog Agent's ECS tags for a sample, then the family's own
// labels as tags.
func (e *Exporter) tags(smp *catalog.Sample) []string {
	if e.opts.Naming == NamingAgent {
		return agentTags(smp, e.opts.TagCardinality)
	}
	var tags []string
	switch {
	case smp.Task != nil:
		tags = taskTags(smp.Task)
		if smp.Container != nil {
			tags = append(tags, imageTags(smp.Container.Image)...)
		}
	case smp.Identity != nil:
		tags = identityTags(smp.Identity)
	}
	for i, l := range smp.Family.Labels {
		if i < len(smp.Labels) && smp.Labels[i] != "" {
			name := l
			if n, ok := tagNames[l]; ok {
				name = n
			}
			tags = append(tags, name+":"+tagValue(smp.Labels[i]))
		}
	}
	return tags
}

func identityTags(id *collector.Identity) []string {
	var tags []string
	add := func(k, v string) {
		if v != "" {
			tags = append(tags, k+":"+tagValue(v))
		}
	}
	add("ecs_cluster_name", id.Cluster)
	add("ecs_service", id.Service)
	add("task_family", id.Family)
	add("task_version", id.Revision)
	return tags
}

func taskTags(t *collector.Task) []string {
	id := t.Identity()
	tags := identityTags(&id)
	if t.ARN != "" {
		tags = append(tags, "task_arn:"+tagValue(t.ARN))
	}
	if t.AvailabilityZone != "" {
		tags = append(tags, "availability-zone:"+t.AvailabilityZone)
	}
	return tags
}

// imageTags splits an image reference as the Agent does: image_name is the
// repository, short_image its last element, image_tag the tag.
func imageTags(image string) []string {
	if image == "" {
		return nil
	}
	name, tag, digest := collector.ImageReference(image)
	if tag == "" && digest == "" {
		tag = "latest" // what the runtime pulled
	}
	tags := []string{"image_name:" + tagValue(name), "short_image:" + tagValue(name[strings.LastIndexByte(name, '/')+1:])}
	if tag != "" {
		tags = append(tags, "image_tag:"+tagValue(tag))
	}
	return tags
}

// tagValue keeps a value from breaking the DogStatsD line format.
func tagValue(v string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ',', '|', '#', '\n':
			return '_'
		}
		return r
	}, v)
}

// serviceCheck reports a service's deployment health: CRITICAL while a
// failed deployment is listed or a service deployment is failed or rolling
// back, WARNING while the deployment is stuck, OK otherwise.
func (e *Exporter) serviceCheck(svc *collector.Service) {
	id := svc.Identity()
	sc := &statsd.ServiceCheck{Name: e.opts.Namespace + "deployment", Status: statsd.Ok, Tags: identityTags(&id), Message: "deployments healthy"}
	r := svc.Rollout
	switch i := slices.IndexFunc(svc.Deployments, func(d collector.Deployment) bool { return d.RolloutState == "FAILED" }); {
	case r != nil && r.Status != ecsvocab.SDStopped && r.Status != ecsvocab.SDStopRequested && ecsvocab.ServiceDeploymentFailed(r.Status):
		sc.Status, sc.Message = statsd.Critical, "deployment "+r.ID+" is "+r.Status
		if r.StatusReason != "" {
			sc.Message += ": " + r.StatusReason
		}
	case i >= 0:
		d := svc.Deployments[i]
		sc.Status, sc.Message = statsd.Critical, "deployment "+d.ID+" ("+d.TaskDefinition+") failed: "+d.RolloutStateReason
	case svc.Health.Stuck != "":
		sc.Status, sc.Message = statsd.Warn, "deployment stuck: "+string(svc.Health.Stuck)
	}
	_ = e.client.ServiceCheck(sc)
}

// sendEvent turns an OOM kill or a failed or stuck deployment into a Datadog
// event; other kinds are counters only.
func (e *Exporter) sendEvent(ev collector.Event) {
	where := ev.Identity.Service
	if where == "" {
		where = ev.Identity.Family
	}
	where += " (" + ev.Identity.Cluster + ")"
	de := &statsd.Event{
		Timestamp: ev.Time, SourceTypeName: "ecs", AggregationKey: ev.Identity.Cluster + "/" + ev.Identity.Service,
		Tags: identityTags(&ev.Identity),
	}
	var text []string
	switch ev.Kind {
	case collector.EventOOMKill:
		de.Title, de.AlertType = "OOM kill: container "+ev.Container+" in "+where, statsd.Error
		// A sidecar and a standalone ecswatch each send the kill of an
		// essential container, under the same ID; the Datadog event stream
		// rolls events of one aggregation key into one.
		de.AggregationKey = aggregationKey(ev)
		de.Tags = append(de.Tags, "container_name:"+tagValue(ev.Container))
		text = append(text, "Container: "+ev.Container)
	case collector.EventDeploymentFailed:
		de.Title, de.AlertType = "Deployment failed ("+ev.Label+"): "+where, statsd.Error
		de.Tags = append(de.Tags, "cause:"+ev.Label)
		text = append(text, "Deployment: "+ev.Deployment)
	case collector.EventRollbackFailed:
		de.Title, de.AlertType = "Rollback failed, service left broken: "+where, statsd.Error
		text = append(text, "Deployment: "+ev.Deployment)
	case collector.EventDeploymentStuck:
		de.Title, de.AlertType = "Deployment stuck ("+ev.Label+"): "+where, statsd.Warning
		de.Tags = append(de.Tags, "reason:"+ev.Label)
		text = append(text, "Deployment: "+ev.Deployment)
	case collector.EventTaskStopReason:
		// Failures only: a scale-in or a user's stop is not news.
		if !ecsvocab.StopFailure(ev.Label) {
			return
		}
		de.Title, de.AlertType = "Task failed ("+ev.Label+"): "+where, statsd.Warning
		de.Tags = append(de.Tags, "reason:"+ev.Label)
	case collector.EventServiceAction:
		if !ecsvocab.ServiceActionNotable(ev.Label) {
			return
		}
		de.Title, de.AlertType = "ECS "+ev.Label+": "+where, statsd.Warning
		de.Tags = append(de.Tags, "event_name:"+ev.Label)
	case collector.EventInstanceChange:
		if ev.Label != ecsvocab.InstanceAgentDisconnected {
			return
		}
		de.Title, de.AlertType = "ECS agent disconnected: "+ev.Identity.Cluster, statsd.Warning
	default:
		return
	}
	if ev.TaskARN != "" {
		de.Tags = append(de.Tags, "task_arn:"+tagValue(ev.TaskARN))
		text = append(text, "Task: "+ev.TaskARN)
	}
	if ev.Message != "" {
		text = append(text, ev.Message)
	}
	de.Text = strings.Join(text, "\n")
	if err := e.client.Event(de); err != nil {
		e.logger.Debug("datadog event not sent", "err", err)
	}
}

// aggregationKey is an OOM kill's event ID, hashed: Datadog keeps aggregation
// keys short and a task ARN and container name can exceed its limit.
func aggregationKey(ev collector.Event) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(ev.ID))
	return "ecswatch-oom-" + strconv.FormatUint(h.Sum64(), 16)
}
