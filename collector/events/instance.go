package events

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

type instanceDetail struct {
	ClusterArn           string    `json:"clusterArn"`
	ContainerInstanceArn string    `json:"containerInstanceArn"`
	Status               string    `json:"status"`
	AgentConnected       *bool     `json:"agentConnected"`
	UpdatedAt            time.Time `json:"updatedAt"`
}

// instanceEvents turns an ECS Container Instance State Change into an
// instance_change: its agent disconnected, or its status (DRAINING, ...).
// The event carries the instance's whole state, not what changed, so each
// is counted under the state it reports.
func instanceEvents(env *Envelope) ([]collector.Event, error) {
	var d instanceDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, err
	}
	cluster := ecsvocab.ResourceID(d.ClusterArn)
	if cluster == "" {
		// arn:...:container-instance/CLUSTER/ID (the new ARN format).
		for _, r := range env.Resources {
			if _, rest, ok := strings.Cut(r, ":container-instance/"); ok {
				if c, _, ok := strings.Cut(rest, "/"); ok {
					cluster = c
				}
			}
		}
	}
	connected := d.AgentConnected == nil || *d.AgentConnected
	return []collector.Event{{Kind: collector.EventInstanceChange, ID: env.ID, Time: cmpTime(d.UpdatedAt, env.Time),
		Identity: collector.Identity{Cluster: cluster}, Label: ecsvocab.InstanceChangeLabel(d.Status, connected),
		Message: strings.TrimSpace(d.ContainerInstanceArn + " " + d.Status)}}, nil
}

// cmpTime is t, or fallback when t is zero.
func cmpTime(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}
