package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ECS is a fake of the ECS API speaking the awsJson1_1 protocol exactly as
// aws-sdk-go-v2 sends it (POST /, X-Amz-Target
// AmazonEC2ContainerServiceV20141113.<Operation>), for the operations
// ecswatch calls. It enforces the API's batch limits, paginates with
// nextToken, counts calls per operation, and can be told to throttle or fail.
type ECS struct {
	now    func() time.Time
	start  time.Time
	region string

	mu       sync.Mutex
	static   map[string]*Cluster // clusters that do not change
	scripted map[string]func(elapsed time.Duration) *Cluster
	calls    map[string]int
	throttle int             // answer this many next calls with ThrottlingException
	fail5xx  int             // answer this many next calls with a 500
	down     map[string]bool // clusters answering ServerException
	expired  int             // answer this many next calls with ExpiredTokenException
	delay    time.Duration   // answer every call this late

	// taskDefs are the registered task definitions, by family:revision.
	taskDefs map[string]*TaskDefinition
}

// ExpireCredentials answers the next n calls with ExpiredTokenException, as
// AWS does when a session token runs out.
func (s *ECS) ExpireCredentials(n int) { s.mu.Lock(); s.expired = n; s.mu.Unlock() }

// SetDelay makes every answer wait d, to exceed the client's timeouts.
func (s *ECS) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Account is the AWS account ID of every simulated ARN.
const Account = "123456789012"

// NewECS returns an empty fake. now is time.Now when nil.
func NewECS(region string, now func() time.Time) *ECS {
	if now == nil {
		now = time.Now
	}
	return &ECS{
		now: now, start: now(), region: region,
		static: map[string]*Cluster{}, scripted: map[string]func(time.Duration) *Cluster{},
		calls: map[string]int{}, down: map[string]bool{},
	}
}

// AddCluster adds a cluster whose content never changes.
func (s *ECS) AddCluster(c *Cluster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.static[c.Name] = c
}

// RemoveCluster deletes a cluster, as DeleteCluster would once it is empty:
// ListClusters no longer names it.
func (s *ECS) RemoveCluster(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.static, name)
	delete(s.scripted, name)
}

// AddScripted adds a cluster whose content is a function of the time
// elapsed since the fake started.
func (s *ECS) AddScripted(name string, script func(elapsed time.Duration) *Cluster) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted[name] = script
}

// Throttle answers the next n calls with ThrottlingException.
func (s *ECS) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

// Fail5xx answers the next n calls with HTTP 500.
func (s *ECS) Fail5xx(n int) { s.mu.Lock(); s.fail5xx = n; s.mu.Unlock() }

// SetClusterDown makes every call about cluster fail with ServerException.
func (s *ECS) SetClusterDown(cluster string, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down[cluster] = down
}

// Calls returns the calls served per operation since the last ResetCalls.
func (s *ECS) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// ResetCalls zeroes the call counts.
func (s *ECS) ResetCalls() { s.mu.Lock(); s.calls = map[string]int{}; s.mu.Unlock() }

func (s *ECS) cluster(name string) *Cluster {
	name = lastPart(name)
	if c, ok := s.static[name]; ok {
		return c
	}
	if script, ok := s.scripted[name]; ok {
		return script(s.now().Sub(s.start))
	}
	return nil
}

func (s *ECS) clusterNames() []string {
	var names []string
	for n := range s.static {
		names = append(names, n)
	}
	for n := range s.scripted {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// awsError is an error in the awsJson1_1 shape.
type awsError struct {
	status int
	typ    string
	msg    string
}

const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."

// ServeHTTP implements http.Handler.
func (s *ECS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req ecsRequest
	op, aerr := readAWSJSON(r, ecsTargetPrefix, &req, "UnknownOperationException", "SerializationException")
	if aerr != nil {
		writeAWSError(w, *aerr)
		return
	}

	s.mu.Lock()
	s.calls[op]++
	if delay := s.delay; delay > 0 {
		s.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	if s.expired > 0 {
		s.expired--
		s.mu.Unlock()
		writeAWSError(w, awsError{400, "ExpiredTokenException", "The security token included in the request is expired"})
		return
	}
	if s.throttle > 0 {
		s.throttle--
		s.mu.Unlock()
		writeAWSError(w, awsError{400, "ThrottlingException", "Rate exceeded"})
		return
	}
	if s.fail5xx > 0 {
		s.fail5xx--
		s.mu.Unlock()
		writeAWSError(w, awsError{500, "ServerException", "Service unavailable"})
		return
	}
	if req.Cluster != "" && s.down[lastPart(req.Cluster)] {
		s.mu.Unlock()
		writeAWSError(w, awsError{500, "ServerException", "cluster " + req.Cluster + " is unavailable"})
		return
	}
	if req.Cluster == "" && len(req.ServiceDeploymentArns) > 0 {
		req.Cluster = clusterOfServiceDeployment(req.ServiceDeploymentArns[0])
	}
	var c *Cluster
	if op != "ListClusters" && op != "DescribeTaskDefinition" { // the two calls that name no cluster
		if c = s.cluster(req.Cluster); c == nil {
			s.mu.Unlock()
			writeAWSError(w, awsError{400, "ClusterNotFoundException", "Cluster not found."})
			return
		}
	}
	names := s.clusterNames()
	s.mu.Unlock()

	var resp any
	if handle, ok := ecsOperations[op]; ok {
		resp, aerr = handle(s, c, names, &req)
	} else {
		aerr = &awsError{400, "UnknownOperationException", "operation " + op + " is not simulated"}
	}
	if aerr != nil {
		writeAWSError(w, *aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("sim-%d", time.Now().UnixNano()))
	_ = json.NewEncoder(w).Encode(resp)
}

// ecsRequest holds the request fields the simulated operations read.
type ecsRequest struct {
	Cluster       string `json:"cluster"`
	NextToken     string `json:"nextToken"`
	MaxResults    int    `json:"maxResults"`
	DesiredStatus string `json:"desiredStatus"`
	// Status is a string (ListContainerInstances) or a list
	// (ListServiceDeployments).
	Status             json.RawMessage `json:"status"`
	Services           []string        `json:"services"`
	Tasks              []string        `json:"tasks"`
	ContainerInstances []string        `json:"containerInstances"`
	TaskDefinition     string          `json:"taskDefinition"`
	serviceDeploymentRequest
}

// statusString is Status when it is a string (ListContainerInstances'),
// else empty.
func (r *ecsRequest) statusString() string {
	var status string
	_ = json.Unmarshal(r.Status, &status)
	return status
}

// ecsOperation answers one operation for cluster c (nil for ListClusters);
// names are the clusters the fake holds.
type ecsOperation func(s *ECS, c *Cluster, names []string, req *ecsRequest) (any, *awsError)

// ecsOperations are the simulated operations, by X-Amz-Target name. Each
// keeps ECS's batch limit: 10 services, 100 tasks or instances per describe.
var ecsOperations = map[string]ecsOperation{
	"ListServiceDeployments":     listServiceDeployments,
	"DescribeServiceDeployments": describeServiceDeployments,
	"ListClusters": func(s *ECS, _ *Cluster, names []string, req *ecsRequest) (any, *awsError) {
		arns := make([]string, len(names))
		for i, n := range names {
			arns[i] = s.arn("cluster", n)
		}
		return page(arns, req.NextToken, req.MaxResults, "clusterArns")
	},
	"ListServices": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		arns := arnsOf(c.Services, func(svc *Service) string { return s.arn("service", c.Name+"/"+svc.Name) })
		return page(arns, req.NextToken, req.MaxResults, "serviceArns")
	},
	"DescribeServices": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		return describeBatch(req.Services, 10, "services",
			findByID(c.Services, func(svc *Service) string { return svc.Name }, func(svc *Service) any { return s.serviceJSON(c, svc) }))
	},
	"ListTasks": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		var arns []string
		for _, t := range c.Tasks {
			if (req.DesiredStatus == "STOPPED") == (t.DesiredStatus == "STOPPED") {
				arns = append(arns, s.taskARN(c, t))
			}
		}
		return page(arns, req.NextToken, req.MaxResults, "taskArns")
	},
	"DescribeTasks": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		return describeBatch(req.Tasks, 100, "tasks", findByID(c.Tasks, func(t *Task) string { return t.ID }, func(t *Task) any { return s.taskJSON(c, t) }))
	},
	"ListContainerInstances": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		arns := arnsOf(instancesWithStatus(c.Instances, req.statusString()), func(in *Instance) string { return s.arn("container-instance", c.Name+"/"+in.ID) })
		return page(arns, req.NextToken, req.MaxResults, "containerInstanceArns")
	},
	"DescribeContainerInstances": func(s *ECS, c *Cluster, _ []string, req *ecsRequest) (any, *awsError) {
		return describeBatch(req.ContainerInstances, 100, "containerInstances",
			findByID(c.Instances, func(in *Instance) string { return in.ID }, func(in *Instance) any { return s.instanceJSON(c, in) }))
	},
	"DescribeTaskDefinition": describeTaskDefinition,
}

// describeBatch answers a Describe* call: at most limit items, each found
// by find, under key.
func describeBatch(items []string, limit int, key string, find func(string) []any) (any, *awsError) {
	if len(items) > limit {
		return nil, &awsError{400, "InvalidParameterException", fmt.Sprintf("%s can have at most %d items", key, limit)}
	}
	var out []any
	for _, it := range items {
		out = append(out, find(it)...)
	}
	return map[string]any{key: out, "failures": []any{}}, nil
}

// readAWSJSON reads an awsJson1.x request: its operation from X-Amz-Target
// past prefix and its body into v. Failures are answered with the service's
// own error codes for a foreign target and an unreadable body.
func readAWSJSON(r *http.Request, prefix string, v any, badTarget, badBody string) (string, *awsError) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), prefix)
	if r.Method != http.MethodPost || !ok {
		return "", &awsError{400, badTarget, "missing or foreign X-Amz-Target"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		return "", &awsError{400, badBody, err.Error()}
	}
	return op, nil
}

// arnsOf lists the ARNs of items, for a List* call.
func arnsOf[T any](items []T, arn func(T) string) []string {
	arns := make([]string, 0, len(items))
	for _, it := range items {
		arns = append(arns, arn(it))
	}
	return arns
}

// findByID is describeBatch's find for items named by the last part of an
// ARN, indexed once per call: a large cluster's describes stay linear.
func findByID[T any](items []T, id func(T) string, render func(T) any) func(string) []any {
	byID := make(map[string]T, len(items))
	for _, it := range items {
		if _, dup := byID[id(it)]; !dup { // the first of an ID, as a scan finds it
			byID[id(it)] = it
		}
	}
	return func(arn string) []any {
		if it, ok := byID[lastPart(arn)]; ok {
			return []any{render(it)}
		}
		return nil
	}
}

func writeAWSError(w http.ResponseWriter, e awsError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", e.typ)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.typ, "message": e.msg})
}

// page returns one page of items under key, with a nextToken when more
// remain. maxResults above 100 is an error, as in ECS.
func page[T any](items []T, token string, maxResults int, key string) (any, *awsError) {
	if maxResults == 0 {
		maxResults = 100
	}
	if maxResults > 100 {
		return nil, &awsError{400, "InvalidParameterException", "maxResults must be at most 100"}
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, &awsError{400, "InvalidParameterException", "invalid nextToken"}
		}
		start = n
	}
	end := min(start+maxResults, len(items))
	out := map[string]any{key: items[start:end]}
	if end < len(items) {
		out["nextToken"] = strconv.Itoa(end)
	}
	if items == nil {
		out[key] = []T{}
	}
	return out, nil
}

func (s *ECS) arn(kind, rest string) string {
	return "arn:aws:ecs:" + s.region + ":" + Account + ":" + kind + "/" + rest
}

func (s *ECS) taskARN(c *Cluster, t *Task) string { return s.arn("task", c.Name+"/"+t.ID) }

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (s *ECS) serviceJSON(c *Cluster, svc *Service) map[string]any {
	var deps, events []any
	running, pending := 0, 0
	for _, d := range svc.Deployments {
		running += d.Running
		pending += d.Pending
		m := map[string]any{
			"id": d.ID, "status": d.Status, "taskDefinition": s.arn("task-definition", d.TaskDefinition),
			"desiredCount": d.Desired, "runningCount": d.Running, "pendingCount": d.Pending, "failedTasks": d.Failed,
			"createdAt": epoch(d.CreatedAt), "updatedAt": epoch(d.UpdatedAt), "launchType": svc.LaunchType,
		}
		if d.RolloutState != "" {
			m["rolloutState"] = d.RolloutState
			m["rolloutStateReason"] = d.RolloutStateReason
		}
		deps = append(deps, m)
	}
	for _, e := range svc.Events {
		events = append(events, map[string]any{"id": e.ID, "createdAt": epoch(e.CreatedAt), "message": e.Message})
	}
	taskDef := ""
	if len(svc.Deployments) > 0 {
		taskDef = s.arn("task-definition", svc.Deployments[0].TaskDefinition)
	}
	m := map[string]any{
		"serviceArn": s.arn("service", c.Name+"/"+svc.Name), "serviceName": svc.Name,
		"clusterArn": s.arn("cluster", c.Name), "status": "ACTIVE", "launchType": svc.LaunchType,
		"desiredCount": svc.Desired, "runningCount": running, "pendingCount": pending,
		"taskDefinition": taskDef,
		"deploymentConfiguration": map[string]any{
			"maximumPercent": svc.MaximumPercent, "minimumHealthyPercent": svc.MinimumHealthyPercent,
			"deploymentCircuitBreaker": map[string]any{"enable": svc.CircuitBreaker, "rollback": svc.CircuitBreaker},
		},
		"deployments": deps, "events": events,
		"createdAt":                epoch(s.start.Add(-30 * 24 * time.Hour)),
		"capacityProviderStrategy": strategyJSON(svc.CapacityProviders),
		"placementConstraints":     constraintsJSON(svc.DistinctInstance),
	}
	s.addDeploymentJSON(c, svc, m)
	return m
}

func (s *ECS) taskJSON(c *Cluster, t *Task) map[string]any {
	var containers []any
	for _, ct := range t.Containers {
		m := map[string]any{"name": ct.Name, "lastStatus": t.LastStatus, "containerArn": s.arn("container", c.Name+"/"+t.ID+"/"+ct.Name)}
		if ct.ExitCode != nil {
			m["exitCode"] = *ct.ExitCode
		}
		if ct.Reason != "" {
			m["reason"] = ct.Reason
		}
		containers = append(containers, m)
	}
	m := map[string]any{
		"taskArn": s.taskARN(c, t), "clusterArn": s.arn("cluster", c.Name),
		"taskDefinitionArn": s.arn("task-definition", t.TaskDefinition),
		"group":             "service:" + t.Service, "lastStatus": t.LastStatus, "desiredStatus": t.DesiredStatus,
		"launchType": t.LaunchType, "cpu": strconv.Itoa(t.CPU), "memory": strconv.Itoa(t.Memory),
		"containers": containers, "createdAt": epoch(t.CreatedAt),
		"availabilityZone": s.region + "a",
	}
	s.addTaskFields(c, t, m)
	if t.DesiredStatus == "STOPPED" {
		m["stopCode"] = t.StopCode
		m["stoppedReason"] = t.StoppedReason
		m["stoppedAt"] = epoch(t.StoppedAt)
	}
	s.addNetwork(c, t, m)
	return m
}

func (s *ECS) instanceJSON(c *Cluster, in *Instance) map[string]any {
	res := func(cpu, mem int) []any {
		return []any{
			map[string]any{"name": "CPU", "type": "INTEGER", "integerValue": cpu},
			map[string]any{"name": "MEMORY", "type": "INTEGER", "integerValue": mem},
		}
	}
	m := map[string]any{
		"containerInstanceArn": s.arn("container-instance", c.Name+"/"+in.ID), "ec2InstanceId": "i-" + in.ID,
		"status": "ACTIVE", "agentConnected": true,
		"registeredResources": res(in.CPU, in.Memory), "remainingResources": res(in.FreeCPU, in.FreeMemory),
	}
	addInstanceFields(in, m)
	return m
}

func lastPart(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Cluster is one simulated cluster.
type Cluster struct {
	Name      string
	Services  []*Service
	Tasks     []*Task
	Instances []*Instance
}

// Service is one simulated service.
type Service struct {
	Name                  string
	LaunchType            string
	Desired               int
	MaximumPercent        int
	MinimumHealthyPercent int
	CircuitBreaker        bool
	Deployments           []Deployment
	Events                []Event // newest first
	// Controller is ECS when empty; Strategy ROLLING when empty.
	Controller, Strategy string
	StepBakeMinutes      int // LINEAR's step or CANARY's canary bake time
	// BreakerThreshold sets the circuit breaker's threshold (a COUNT);
	// zero leaves ECS's default.
	BreakerThreshold int
	// ServiceDeployments are what ListServiceDeployments and
	// DescribeServiceDeployments answer, and TaskSets the service's task
	// sets (CODE_DEPLOY, EXTERNAL).
	ServiceDeployments []ServiceDeployment
	TaskSets           []TaskSet
	// CapacityProviders is its capacity provider strategy (weight 1 each),
	// in place of a launch type; DistinctInstance its placement constraint.
	CapacityProviders []string
	DistinctInstance  bool
}

// Deployment is one deployment of a simulated service.
type Deployment struct {
	ID, Status, TaskDefinition       string
	RolloutState, RolloutStateReason string
	Desired, Running, Pending        int
	Failed                           int
	CreatedAt, UpdatedAt             time.Time
}

// Event is one service event.
type Event struct {
	ID        string
	CreatedAt time.Time
	Message   string
}

// Task is one simulated task.
type Task struct {
	ID, Service, TaskDefinition string
	LaunchType                  string
	LastStatus, DesiredStatus   string
	CPU, Memory                 int
	StopCode, StoppedReason     string
	CreatedAt, StoppedAt        time.Time
	Containers                  []Container
	Net                         *TaskNetwork // how it is reached, for service discovery; nil: not said
	// TaskFields are the fields of a task added for health and capacity
	// (taskfields.go).
	TaskFields
}

// Container is one container of a simulated task.
type Container struct {
	Name     string
	ExitCode *int
	Reason   string
}

// Instance is one EC2 container instance.
type Instance struct {
	ID                  string
	CPU, Memory         int
	FreeCPU, FreeMemory int
	PrivateIP           string // the EC2 instance's, served by the EC2 fake
	// InstanceFields are its platform, capacity provider and status
	// (taskfields.go).
	InstanceFields
}
