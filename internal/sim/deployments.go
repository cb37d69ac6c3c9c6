package sim

// The simulated ServiceDeployments API and task sets, shaped as the ECS API
// reference gives them (ServiceDeployment, ServiceDeploymentBrief,
// ServiceRevisionSummary, TaskSet) and aws-sdk-go-v2 parses them.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ServiceDeployment is one simulated service deployment.
type ServiceDeployment struct {
	ID                   string
	Status, StatusReason string
	Stage                string
	CreatedAt, StartedAt time.Time
	UpdatedAt            time.Time
	// Circuit breaker and alarm monitors: status (MONITORING, TRIGGERED,
	// ...) and, for the breaker, failures and threshold.
	BreakerStatus               string
	BreakerFailures, Threshold  int
	AlarmStatus                 string
	AlarmNames, TriggeredAlarms []string
	Hooks                       []Hook
	RollbackReason              string
	Source                      []Revision
	Target                      *Revision
}

// Revision is a service revision's summary in a service deployment.
type Revision struct {
	ID                          string
	Requested, Running, Pending int
	// Weights are percentages; nil leaves them out, as for ROLLING.
	ProductionWeight, TestWeight *float64
}

// Hook is one lifecycle hook's state.
type Hook struct {
	ID, Status string
	ExpiresAt  time.Time
}

// TaskSet is one simulated task set.
type TaskSet struct {
	ID, Status, TaskDefinition, ExternalID string
	ScalePercent                           float64
	Desired, Running, Pending              int
	Stability                              string // STEADY_STATE or STABILIZING
	StabilityAt, CreatedAt                 time.Time
}

// Weight returns a pointer to a traffic weight.
func Weight(w float64) *float64 { return &w }

// serviceDeploymentRequest holds the fields of ListServiceDeployments and
// DescribeServiceDeployments.
type serviceDeploymentRequest struct {
	Service               string   `json:"service"`
	ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
	CreatedAt             *struct {
		After  *float64 `json:"after"`
		Before *float64 `json:"before"`
	} `json:"createdAt"`
}

func (s *ECS) serviceDeploymentARN(c *Cluster, svc *Service, id string) string {
	return s.arn("service-deployment", c.Name+"/"+svc.Name+"/"+id)
}

func (s *ECS) revisionARN(c *Cluster, svc *Service, id string) string {
	return s.arn("service-revision", c.Name+"/"+svc.Name+"/"+id)
}

func findService(c *Cluster, nameOrARN string) *Service {
	for _, svc := range c.Services {
		if svc.Name == lastPart(nameOrARN) {
			return svc
		}
	}
	return nil
}

func listServiceDeployments(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
	if req.Service == "" {
		return nil, &awsError{400, "InvalidParameterException", "service is required"}
	}
	svc := findService(c, req.Service)
	if svc == nil {
		return nil, &awsError{400, "ServiceNotFoundException", "Service not found."}
	}
	var statuses []string
	if len(req.Status) > 0 {
		if err := json.Unmarshal(req.Status, &statuses); err != nil {
			return nil, &awsError{400, "SerializationException", "status must be a list"}
		}
	}
	var briefs []map[string]any
	for _, sd := range svc.ServiceDeployments {
		created := epoch(sd.CreatedAt)
		if f := req.CreatedAt; f != nil && ((f.After != nil && created < *f.After) || (f.Before != nil && created > *f.Before)) {
			continue
		}
		if len(statuses) > 0 && !slices.Contains(statuses, sd.Status) {
			continue
		}
		b := map[string]any{
			"serviceDeploymentArn": s.serviceDeploymentARN(c, svc, sd.ID),
			"serviceArn":           s.arn("service", c.Name+"/"+svc.Name), "clusterArn": s.arn("cluster", c.Name),
			"status": sd.Status, "createdAt": created, "startedAt": epoch(sd.StartedAt),
		}
		if sd.Target != nil {
			b["targetServiceRevisionArn"] = s.revisionARN(c, svc, sd.Target.ID)
		}
		briefs = append(briefs, b)
	}
	if req.MaxResults < 0 {
		return nil, &awsError{400, "InvalidParameterException", "maxResults must be between 1 and 100"}
	}
	return page(briefs, req.NextToken, req.MaxResults, "serviceDeployments")
}

// describeServiceDeployments answers for the cluster of the first ARN,
// which ServeHTTP found: ecswatch describes one cluster's at a time.
func describeServiceDeployments(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
	if len(req.ServiceDeploymentArns) > 20 {
		return nil, &awsError{400, "InvalidParameterException", "serviceDeploymentArns can have at most 20 items"}
	}
	var out []any
	for _, arn := range req.ServiceDeploymentArns {
		for _, svc := range c.Services {
			for _, sd := range svc.ServiceDeployments {
				if s.serviceDeploymentARN(c, svc, sd.ID) == arn {
					out = append(out, s.serviceDeploymentJSON(c, svc, sd))
				}
			}
		}
	}
	return map[string]any{"serviceDeployments": out, "failures": []any{}}, nil
}

// clusterOfServiceDeployment is the cluster named in a service deployment
// ARN: ...:service-deployment/CLUSTER/SERVICE/ID.
func clusterOfServiceDeployment(arn string) string {
	_, rest, _ := strings.Cut(arn, ":service-deployment/")
	cluster, _, _ := strings.Cut(rest, "/")
	return cluster
}

func (s *ECS) serviceDeploymentJSON(c *Cluster, svc *Service, sd ServiceDeployment) map[string]any {
	revision := func(r Revision) map[string]any {
		m := map[string]any{
			"arn": s.revisionARN(c, svc, r.ID), "requestedTaskCount": r.Requested,
			"runningTaskCount": r.Running, "pendingTaskCount": r.Pending,
		}
		if r.ProductionWeight != nil {
			m["requestedProductionTrafficWeight"] = *r.ProductionWeight
		}
		if r.TestWeight != nil {
			m["requestedTestTrafficWeight"] = *r.TestWeight
		}
		return m
	}
	m := map[string]any{
		"serviceDeploymentArn": s.serviceDeploymentARN(c, svc, sd.ID),
		"serviceArn":           s.arn("service", c.Name+"/"+svc.Name), "clusterArn": s.arn("cluster", c.Name),
		"status": sd.Status, "createdAt": epoch(sd.CreatedAt), "startedAt": epoch(sd.StartedAt), "updatedAt": epoch(sd.UpdatedAt),
	}
	if sd.StatusReason != "" {
		m["statusReason"] = sd.StatusReason
	}
	if sd.Stage != "" {
		m["lifecycleStage"] = sd.Stage
	}
	if sd.BreakerStatus != "" {
		m["deploymentCircuitBreaker"] = map[string]any{"status": sd.BreakerStatus, "failureCount": sd.BreakerFailures, "threshold": sd.Threshold}
	}
	if sd.AlarmStatus != "" {
		m["alarms"] = map[string]any{"status": sd.AlarmStatus, "alarmNames": sd.AlarmNames, "triggeredAlarmNames": sd.TriggeredAlarms}
	}
	var hooks []any
	for _, h := range sd.Hooks {
		hooks = append(hooks, map[string]any{
			"hookId": h.ID, "status": h.Status, "expiresAt": epoch(h.ExpiresAt),
			"targetArn": "arn:aws:lambda:" + s.region + ":" + Account + ":function:" + h.ID, "targetType": "AWS_LAMBDA",
		})
	}
	if hooks != nil {
		m["lifecycleHookDetails"] = hooks
	}
	if sd.RollbackReason != "" {
		m["rollback"] = map[string]any{"reason": sd.RollbackReason, "startedAt": epoch(sd.UpdatedAt)}
	}
	var sources []any
	for _, r := range sd.Source {
		sources = append(sources, revision(r))
	}
	m["sourceServiceRevisions"] = sources
	if sd.Target != nil {
		m["targetServiceRevision"] = revision(*sd.Target)
	}
	return m
}

// addDeploymentJSON adds the controller, strategy and task sets to a
// service's JSON.
func (s *ECS) addDeploymentJSON(c *Cluster, svc *Service, m map[string]any) {
	controller := svc.Controller
	if controller == "" {
		controller = "ECS"
	}
	m["deploymentController"] = map[string]any{"type": controller}
	dc := m["deploymentConfiguration"].(map[string]any)
	if svc.BreakerThreshold > 0 {
		cb := dc["deploymentCircuitBreaker"].(map[string]any)
		cb["thresholdConfiguration"] = map[string]any{"type": "COUNT", "value": svc.BreakerThreshold}
	}
	if controller == "ECS" {
		strategy := svc.Strategy
		if strategy == "" {
			strategy = "ROLLING"
		}
		dc["strategy"] = strategy
		switch strategy {
		case "LINEAR":
			dc["linearConfiguration"] = map[string]any{"stepPercent": 25.0, "stepBakeTimeInMinutes": svc.StepBakeMinutes}
		case "CANARY":
			dc["canaryConfiguration"] = map[string]any{"canaryPercent": 10.0, "canaryBakeTimeInMinutes": svc.StepBakeMinutes}
		}
		return
	}
	var sets []any
	running, pending := 0, 0
	for _, ts := range svc.TaskSets {
		running += ts.Running
		pending += ts.Pending
		set := map[string]any{
			"id": ts.ID, "taskSetArn": s.arn("task-set", c.Name+"/"+svc.Name+"/"+ts.ID),
			"serviceArn": s.arn("service", c.Name+"/"+svc.Name), "clusterArn": s.arn("cluster", c.Name),
			"status": ts.Status, "taskDefinition": s.arn("task-definition", ts.TaskDefinition),
			"computedDesiredCount": ts.Desired, "runningCount": ts.Running, "pendingCount": ts.Pending,
			"scale":           map[string]any{"value": ts.ScalePercent, "unit": "PERCENT"},
			"stabilityStatus": ts.Stability, "stabilityStatusAt": epoch(ts.StabilityAt),
			"createdAt": epoch(ts.CreatedAt), "updatedAt": epoch(ts.StabilityAt), "launchType": svc.LaunchType,
		}
		if ts.ExternalID != "" {
			set["externalId"] = ts.ExternalID
		}
		if controller == "CODE_DEPLOY" {
			set["startedBy"] = "CodeDeploy"
		}
		sets = append(sets, set)
	}
	m["taskSets"] = sets
	m["runningCount"], m["pendingCount"] = running, pending
}

// Deploying starts a rolling deployment on the first n services of c, as
// ECS shows one: a second deployment in deployments[] and an IN_PROGRESS
// service deployment, halfway through.
func Deploying(c *Cluster, n int, start time.Time) {
	for i, svc := range c.Services[:min(n, len(c.Services))] {
		old := svc.Deployments[0]
		created := start.Add(-5 * time.Minute)
		half := svc.Desired / 2
		svc.Deployments = []Deployment{
			{ID: old.ID + "-new", Status: "PRIMARY", TaskDefinition: old.TaskDefinition, RolloutState: "IN_PROGRESS",
				Desired: svc.Desired, Running: half, CreatedAt: created, UpdatedAt: start},
			{ID: old.ID, Status: "ACTIVE", TaskDefinition: old.TaskDefinition, RolloutState: "COMPLETED",
				Desired: svc.Desired - half, Running: svc.Desired - half, CreatedAt: old.CreatedAt, UpdatedAt: start},
		}
		svc.ServiceDeployments = []ServiceDeployment{{
			ID: fmt.Sprintf("sd-%04d", i), Status: "IN_PROGRESS", CreatedAt: created, StartedAt: created, UpdatedAt: start,
			BreakerStatus: "MONITORING", Threshold: 3,
			Source: []Revision{{ID: fmt.Sprintf("rev-%04d-1", i), Requested: svc.Desired - half, Running: svc.Desired - half}},
			Target: &Revision{ID: fmt.Sprintf("rev-%04d-2", i), Requested: svc.Desired, Running: half},
		}}
	}
}
