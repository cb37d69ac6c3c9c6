package collector

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Cluster is what the standalone collector reads of a cluster as a whole:
// its container instances.
type Cluster struct {
	Name      string
	Instances []InstanceCount
}

// InstanceCount is how many container instances of a cluster have one
// status, agent connection and capacity provider.
type InstanceCount struct {
	Status           string // ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED
	AgentConnected   bool
	CapacityProvider string // empty for an instance registered without one
	Count            int
}

// ProviderCount is how many running tasks of a service run on one capacity
// provider.
type ProviderCount struct {
	Provider string // the capacity provider's name, or "none"
	Count    int
}

// Provisioning is a service's tasks waiting for capacity: in PROVISIONING,
// where a capacity provider's managed scaling has not yet launched the
// instances they need.
type Provisioning struct {
	Tasks int
	// Since is when the oldest of them was created; zero when none.
	Since time.Time
}

// mergeClusters lists every source's clusters, one per name (the first
// source's, in source order), ordered by name.
func mergeClusters(bySource map[string][]*Cluster) []*Cluster {
	sources := make([]string, 0, len(bySource))
	for src := range bySource {
		sources = append(sources, src)
	}
	slices.Sort(sources)
	var out []*Cluster
	for _, src := range sources {
		for _, c := range bySource[src] {
			if !slices.ContainsFunc(out, func(o *Cluster) bool { return o.Name == c.Name }) {
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Cluster) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SortInstanceCounts orders counts for stable output.
func SortInstanceCounts(counts []InstanceCount) {
	slices.SortFunc(counts, func(a, b InstanceCount) int {
		return cmp.Or(strings.Compare(a.Status, b.Status), strings.Compare(a.CapacityProvider, b.CapacityProvider),
			boolCompare(a.AgentConnected, b.AgentConnected))
	})
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}
