package ecsapi

import (
	"cmp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// clusterOf counts the cluster's container instances by status, agent
// connection and capacity provider. ListContainerInstances without a status
// filter lists every status but INACTIVE (API reference
// ListContainerInstances.status).
func clusterOf(name string, instances []types.ContainerInstance) *collector.Cluster {
	type key struct {
		status, provider string
		connected        bool
	}
	counts := map[key]int{}
	for _, in := range instances {
		counts[key{ecsvocab.InstanceStatusLabel(aws.ToString(in.Status)), aws.ToString(in.CapacityProviderName), in.AgentConnected}]++
	}
	c := &collector.Cluster{Name: name}
	for k, n := range counts {
		c.Instances = append(c.Instances, collector.InstanceCount{Status: k.status, CapacityProvider: k.provider, AgentConnected: k.connected, Count: n})
	}
	collector.SortInstanceCounts(c.Instances)
	return c
}

// capacityOf counts, by service, the running tasks on each capacity
// provider and the tasks waiting for capacity (lastStatus PROVISIONING:
// Developer Guide "Amazon ECS task lifecycle"; a task waits there while a
// capacity provider's managed scaling launches the instances it needs).
func capacityOf(tasks []types.Task) (map[string][]collector.ProviderCount, map[string]collector.Provisioning) {
	providers := map[string]map[string]int{}
	provisioning := map[string]collector.Provisioning{}
	for _, t := range tasks {
		svc := rules.ServiceFromGroup(aws.ToString(t.Group))
		if svc == "" || aws.ToString(t.DesiredStatus) == "STOPPED" || aws.ToString(t.LastStatus) == "STOPPED" {
			continue
		}
		if aws.ToString(t.LastStatus) == "PROVISIONING" {
			p := provisioning[svc]
			p.Tasks++
			if created := aws.ToTime(t.CreatedAt); !created.IsZero() && (p.Since.IsZero() || created.Before(p.Since)) {
				p.Since = created
			}
			provisioning[svc] = p
			continue
		}
		if providers[svc] == nil {
			providers[svc] = map[string]int{}
		}
		providers[svc][cmp.Or(aws.ToString(t.CapacityProviderName), ecsvocab.NoCapacityProvider)]++
	}
	out := make(map[string][]collector.ProviderCount, len(providers))
	for svc, byProvider := range providers {
		var list []collector.ProviderCount
		for p, n := range byProvider {
			list = append(list, collector.ProviderCount{Provider: strings.Clone(p), Count: n}) // off the decoder's arena
		}
		slices.SortFunc(list, func(a, b collector.ProviderCount) int { return strings.Compare(a.Provider, b.Provider) })
		out[svc] = list
	}
	return out, provisioning
}

// clusterList is the last read of each of clusters (a failing cluster keeps
// its last), and forgets the others. Called with c.mu held.
func (c *Collector) clusterList(clusters []string) []*collector.Cluster {
	out := []*collector.Cluster{}
	for name := range c.clusters {
		if !slices.Contains(clusters, name) {
			delete(c.clusters, name)
		}
	}
	for _, name := range clusters {
		if cl := c.clusters[name]; cl != nil {
			out = append(out, cl)
		}
	}
	return out
}
