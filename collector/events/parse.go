// Package events consumes ECS events that an EventBridge rule delivers to an
// SQS queue: task state changes, deployment state changes and service
// actions. Each is applied to the Store, with the same event IDs the polling
// collector uses, so an occurrence seen both ways counts once; its message is
// deleted only after that.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// The detail-types ecswatch understands. Other ECS detail-types (container
// instance state changes) are received, counted and deleted.
const (
	TaskStateChange       = ecsvocab.TaskStateChange
	DeploymentStateChange = ecsvocab.DeploymentStateChange
	ServiceAction         = ecsvocab.ServiceAction
	// ContainerInstanceStateChange: instances draining, agents
	// disconnecting (instance.go).
	ContainerInstanceStateChange = ecsvocab.ContainerInstanceStateChange
)

// Envelope is an EventBridge event.
type Envelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// snsEnvelope is the wrapper SNS adds when the rule targets a topic that
// fans out to the queue (without raw message delivery).
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

type taskDetail struct {
	ClusterArn        string    `json:"clusterArn"`
	TaskArn           string    `json:"taskArn"`
	TaskDefinitionArn string    `json:"taskDefinitionArn"`
	Group             string    `json:"group"`
	LastStatus        string    `json:"lastStatus"`
	DesiredStatus     string    `json:"desiredStatus"`
	StopCode          string    `json:"stopCode"`
	StoppedReason     string    `json:"stoppedReason"`
	StoppedAt         time.Time `json:"stoppedAt"`
	Containers        []struct {
		Name     string `json:"name"`
		ExitCode *int   `json:"exitCode"`
		Reason   string `json:"reason"`
	} `json:"containers"`
}

type deploymentDetail struct {
	EventName    string    `json:"eventName"`
	DeploymentID string    `json:"deploymentId"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Reason       string    `json:"reason"`
}

type serviceActionDetail struct {
	EventName  string    `json:"eventName"`
	ClusterArn string    `json:"clusterArn"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"createdAt"`
}

// ErrNotECS is returned for a well-formed event from a source other than
// aws.ecs: the rule is wrong, and the message is left for the DLQ.
var ErrNotECS = errors.New("not an ECS event")

// Parse decodes one SQS message body, with or without an SNS envelope, into
// its EventBridge envelope and the model events it produces. An ECS event of
// a kind that changes nothing produces no events and no error.
func Parse(body []byte) (*Envelope, []collector.Event, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, nil, fmt.Errorf("decode event: %w", err)
	}
	if env.DetailType == "" {
		var sns snsEnvelope
		if err := json.Unmarshal(body, &sns); err == nil && sns.Type == "Notification" && sns.Message != "" {
			if err := json.Unmarshal([]byte(sns.Message), &env); err != nil {
				return nil, nil, fmt.Errorf("decode event inside SNS envelope: %w", err)
			}
		}
	}
	if env.Source != "aws.ecs" {
		return nil, nil, fmt.Errorf("%w: source %q, detail-type %q", ErrNotECS, env.Source, env.DetailType)
	}
	if env.ID == "" || len(env.Detail) == 0 {
		return nil, nil, errors.New("event has no id or no detail")
	}
	var (
		evs []collector.Event
		err error
	)
	switch env.DetailType {
	case TaskStateChange:
		evs, err = taskEvents(&env)
	case DeploymentStateChange:
		evs, err = deploymentEvents(&env)
	case ServiceAction:
		evs, err = serviceActionEvents(&env)
	case ContainerInstanceStateChange:
		evs, err = instanceEvents(&env)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", env.DetailType, env.ID, err)
	}
	return &env, evs, nil
}

func taskEvents(env *Envelope) ([]collector.Event, error) {
	var d taskDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, err
	}
	if d.TaskArn == "" {
		return nil, errors.New("no taskArn")
	}
	info := rules.StoppedTaskInfo{
		ARN: d.TaskArn, Cluster: ecsvocab.ResourceID(d.ClusterArn), Service: rules.ServiceFromGroup(d.Group),
		Family:         ecsvocab.TaskFamily(ecsvocab.TaskDefinition(d.TaskDefinitionArn)),
		TaskDefinition: ecsvocab.TaskDefinition(d.TaskDefinitionArn),
		StopCode:       d.StopCode, StoppedReason: d.StoppedReason, StoppedAt: d.StoppedAt,
	}
	for _, c := range d.Containers {
		info.Containers = append(info.Containers, rules.StoppedContainer{Name: c.Name, ExitCode: c.ExitCode, Reason: c.Reason})
	}
	// Only the final state carries the task's stop reasons; before it, a
	// container-level change can still say a (non-essential) container was
	// OOM-killed.
	if d.LastStatus != "STOPPED" {
		if info.StoppedAt.IsZero() {
			info.StoppedAt = env.Time
		}
		return rules.ContainerOOMs(info), nil
	}
	return rules.StoppedTask(info), nil
}

func deploymentEvents(env *Envelope) ([]collector.Event, error) {
	var d deploymentDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, err
	}
	if d.DeploymentID == "" {
		return nil, errors.New("no deploymentId")
	}
	id := serviceIdentity(env.Resources, "")
	switch d.EventName {
	case "SERVICE_DEPLOYMENT_FAILED":
		// The same ID as the polling collector's, so it counts once.
		return []collector.Event{{Kind: collector.EventDeploymentFailed, ID: d.DeploymentID, Time: d.UpdatedAt, Identity: id,
			Deployment: d.DeploymentID, Label: ecsvocab.FailureCauseFromReason(d.Reason), Message: d.Reason}}, nil
	case "SERVICE_DEPLOYMENT_IN_PROGRESS", "SERVICE_DEPLOYMENT_COMPLETED":
		return []collector.Event{{Kind: collector.EventDeploymentState, ID: env.ID, Time: d.UpdatedAt, Identity: id,
			Deployment: d.DeploymentID, Label: d.EventName, Message: d.Reason}}, nil
	}
	return nil, nil
}

func serviceActionEvents(env *Envelope) ([]collector.Event, error) {
	var d serviceActionDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, err
	}
	if d.EventName != "SERVICE_TASK_PLACEMENT_FAILURE" {
		return []collector.Event{{Kind: collector.EventServiceAction, ID: env.ID, Time: cmpTime(d.CreatedAt, env.Time),
			Identity: serviceIdentity(env.Resources, ecsvocab.ResourceID(d.ClusterArn)),
			Label:    ecsvocab.ServiceActionLabel(d.EventName), Message: strings.TrimSpace(d.EventName + " " + d.Reason)}}, nil
	}
	return []collector.Event{{Kind: collector.EventPlacementFailure, ID: env.ID, Time: d.CreatedAt,
		Identity: serviceIdentity(env.Resources, ecsvocab.ResourceID(d.ClusterArn)),
		Label:    placementReason(d.Reason), Message: d.EventName + " " + d.Reason}}, nil
}

// placementReason maps the event's RESOURCE:<kind> reason onto the same
// bounded reasons as the service event messages.
func placementReason(r string) string {
	switch kind := strings.TrimPrefix(r, "RESOURCE:"); {
	case kind == "MEMORY":
		return "insufficient_memory"
	case kind == "CPU":
		return "insufficient_cpu"
	case strings.HasPrefix(kind, "PORTS"):
		return "port_in_use"
	case kind == "FARGATE":
		return "capacity_unavailable"
	case r == "AGENT":
		return "agent_disconnected"
	case r == "ATTRIBUTE":
		return "missing_attribute"
	default:
		return "other"
	}
}

// serviceIdentity reads cluster and service from a service ARN in resources:
// arn:aws:ecs:region:account:service/cluster/name (or, in the old format
// without the cluster, service/name, where cluster is the fallback).
func serviceIdentity(resources []string, cluster string) collector.Identity {
	for _, r := range resources {
		_, rest, ok := strings.Cut(r, ":service/")
		if !ok {
			continue
		}
		if c, name, ok := strings.Cut(rest, "/"); ok {
			return collector.Identity{Cluster: c, Service: name}
		}
		return collector.Identity{Cluster: cluster, Service: rest}
	}
	return collector.Identity{Cluster: cluster}
}
