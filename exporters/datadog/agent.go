package datadog

import (
	"slices"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// The naming modes.
const (
	// NamingEcswatch sends every family under its ecswatch.* name.
	NamingEcswatch = "ecswatch"
	// NamingAgent sends the families the Datadog Agent's ecs_fargate and
	// container checks also report under those checks' names, types and
	// tags (catalog.DatadogAgent), so that Datadog's ECS dashboards and
	// monitors work unchanged; ecswatch's own signals keep their names.
	NamingAgent = "agent"
)

// Tag cardinalities, as the Agent's DD_CHECKS_TAG_CARDINALITY names them.
const (
	CardinalityLow          = "low"
	CardinalityOrchestrator = "orchestrator"
	CardinalityHigh         = "high"
)

// metricFor is the name (namespaced where it is ecswatch's), type and
// factor a sample goes out with.
func (e *Exporter) metricFor(smp *catalog.Sample) (name string, typ catalog.DatadogType, factor float64) {
	if e.opts.Naming == NamingAgent && smp.Task != nil {
		if m, ok := catalog.DatadogAgent[smp.Family.Name][catalog.AgentCheckFor(smp.Task.LaunchType)]; ok {
			return m.Name, m.Type, m.Factor()
		}
	}
	m := smp.Family.Datadog
	if m.Type == catalog.DatadogTags || m.Name == "" {
		return "", m.Type, 0
	}
	return e.opts.Namespace + m.Name, m.Type, m.Factor()
}

// agentTags are the tags the Agent's tagger gives a task's or container's
// metrics, by cardinality: low by default; task_arn from orchestrator on;
// container_id at high. ecs_service is lower-cased as the Agent does. The
// ecs_fargate check adds its compatibility tags (ecs_task_family,
// ecs_task_version, ecs_cluster) to the Fargate tasks' metrics. The Agent's
// container_name is the Docker name, which the metadata endpoint gives but
// ecswatch does not keep; ecs_container_name is the ECS one.
func agentTags(smp *catalog.Sample, cardinality string) []string {
	var tags []string
	add := func(k, v string) {
		if v != "" {
			tags = append(tags, k+":"+tagValue(v))
		}
	}
	var id collector.Identity
	switch {
	case smp.Task != nil:
		id = smp.Task.Identity()
	case smp.Identity != nil:
		id = *smp.Identity
	}
	add("ecs_cluster_name", id.Cluster)
	add("cluster_name", id.Cluster)
	add("ecs_service", strings.ToLower(id.Service))
	add("task_family", id.Family)
	add("task_name", id.Family)
	add("task_version", id.Revision)
	if t := smp.Task; t != nil {
		region, account := ecsvocab.RegionAccount(t.ARN)
		add("region", region)
		add("aws_account", account)
		add("availability-zone", t.AvailabilityZone)
		add("availability_zone", t.AvailabilityZone)
		if region != "" && t.Family != "" && t.Revision != "" {
			add("task_definition_arn", "arn:aws:ecs:"+region+":"+account+":task-definition/"+t.Family+":"+t.Revision)
		}
		if catalog.AgentCheckFor(t.LaunchType) == catalog.AgentFargate {
			add("ecs_task_family", id.Family)
			add("ecs_task_version", id.Revision)
			add("ecs_cluster", id.Cluster)
		}
		if cardinality != CardinalityLow {
			add("task_arn", t.ARN)
		}
	}
	if c := smp.Container; c != nil {
		add("ecs_container_name", c.Name)
		if c.Image != "" {
			add("docker_image", c.Image)
			tags = append(tags, imageTags(c.Image)...)
		}
		if cardinality == CardinalityHigh {
			add("container_id", c.DockerID)
		}
	}
	for i, l := range smp.Family.Labels {
		if i >= len(smp.Labels) || smp.Labels[i] == "" {
			continue
		}
		switch {
		case l == "container_name" && smp.Container != nil:
			// Said by ecs_container_name above.
		case l == "container_name":
			add("ecs_container_name", smp.Labels[i])
		default:
			name := l
			if n, ok := tagNames[l]; ok {
				name = n
			}
			add(name, smp.Labels[i])
		}
	}
	return tags
}

// resolveEnv applies what the Agent's own environment variables say where
// the options leave it open: DD_TAGS (space- or comma-separated key:value
// tags, as the Agent reads it) adds global tags, and
// DD_CHECKS_TAG_CARDINALITY sets the tag cardinality.
func resolveEnv(opts Options, lookup func(string) (string, bool)) Options {
	if v, ok := lookup("DD_TAGS"); ok {
		opts.Tags = append(slices.Clone(opts.Tags), ParseTags(v)...)
	}
	if opts.TagCardinality == "" {
		if v, ok := lookup("DD_CHECKS_TAG_CARDINALITY"); ok && slices.Contains(Cardinalities, v) {
			opts.TagCardinality = v
		}
	}
	if opts.TagCardinality == "" {
		opts.TagCardinality = CardinalityLow
	}
	return opts
}

// Cardinalities are the valid tag cardinalities.
var Cardinalities = []string{CardinalityLow, CardinalityOrchestrator, CardinalityHigh}

// ParseTags splits DD_TAGS: tags separated by spaces or commas.
func ParseTags(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
}

// cpuReading is a container's cumulative CPU time at one stats reading.
type cpuReading struct {
	seconds float64
	read    time.Time
}

// cpuPercent sends ecs.fargate.cpu.percent in Agent naming for a Fargate
// container: the share of one CPU the container used between this push's
// stats reading and the last one, in percent. The ecs_fargate check
// computes it from one stats payload's precpu_stats, which the metadata
// endpoint does not fill reliably; ecswatch uses its own two readings.
func (e *Exporter) cpuPercent(smp *catalog.Sample, tags []string, seen map[string]bool) {
	if e.opts.Naming != NamingAgent || smp.Family.Name != "ecs_container_cpu_usage_seconds_total" || smp.Task == nil ||
		catalog.AgentCheckFor(smp.Task.LaunchType) != catalog.AgentFargate || smp.Container == nil || smp.Container.Stats == nil {
		return
	}
	key := "cpu.percent|" + strings.Join(tags, ",")
	seen[key] = true
	now := cpuReading{seconds: smp.Value, read: smp.Container.Stats.Read}
	prev, ok := e.cpuLast[key]
	e.cpuLast[key] = now
	if !ok || now.read.IsZero() || !now.read.After(prev.read) || now.seconds < prev.seconds {
		return
	}
	pct := (now.seconds - prev.seconds) / now.read.Sub(prev.read).Seconds() * 100
	_ = e.client.Gauge(AgentCPUPercent, pct, tags, 1)
}

// AgentCPUPercent is the ecs_fargate check's CPU percentage, which ecswatch
// derives rather than maps.
const AgentCPUPercent = "ecs.fargate.cpu.percent"
