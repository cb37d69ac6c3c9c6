package ecsapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// answering returns an ECS client whose every call is answered with status
// and body, over loopback.
func answering(t *testing.T, status int, body []byte) *ecs.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), collector.NewStore(time.Now))
	if err != nil {
		t.Fatal(err)
	}
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
}

// usedTaskFields is t with only the fields decodeTask reads, empty lists
// as nil: what the lean decoder must produce from the same answer.
func usedTaskFields(t types.Task) types.Task {
	out := types.Task{
		TaskArn: t.TaskArn, TaskDefinitionArn: t.TaskDefinitionArn, Group: t.Group,
		LastStatus: t.LastStatus, DesiredStatus: t.DesiredStatus, LaunchType: t.LaunchType,
		AvailabilityZone: t.AvailabilityZone, CapacityProviderName: t.CapacityProviderName,
		ContainerInstanceArn: t.ContainerInstanceArn, HealthStatus: t.HealthStatus,
		CreatedAt: t.CreatedAt, StoppedAt: t.StoppedAt, StopCode: t.StopCode, StoppedReason: t.StoppedReason,
	}
	for _, c := range t.Containers {
		oc := types.Container{Name: c.Name, LastStatus: c.LastStatus, Reason: c.Reason, ExitCode: c.ExitCode}
		for _, b := range c.NetworkBindings {
			oc.NetworkBindings = append(oc.NetworkBindings, types.NetworkBinding{ContainerPort: b.ContainerPort, HostPort: b.HostPort})
		}
		for _, ni := range c.NetworkInterfaces {
			oc.NetworkInterfaces = append(oc.NetworkInterfaces, types.NetworkInterface{PrivateIpv4Address: ni.PrivateIpv4Address})
		}
		out.Containers = append(out.Containers, oc)
	}
	for _, a := range t.Attachments {
		oa := types.Attachment{Type: a.Type}
		for _, kv := range a.Details {
			oa.Details = append(oa.Details, types.KeyValuePair{Name: kv.Name, Value: kv.Value})
		}
		out.Attachments = append(out.Attachments, oa)
	}
	for _, tag := range t.Tags {
		out.Tags = append(out.Tags, types.Tag{Key: tag.Key, Value: tag.Value})
	}
	return out
}

// TestLeanDescribeTasks decodes recorded-shape DescribeTasks answers with
// the SDK's decoder and the lean one, through real clients, and requires
// the lean one to give exactly the SDK's tasks restricted to the fields
// ecswatch reads, and to have decoded them itself (not handed them to
// the SDK's decoder).
func TestLeanDescribeTasks(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{
		"fargate_awsvpc_task",                // ENI attachment, two containers, tags, many unread fields
		"ec2_bridge_tasks",                   // host port bindings, a container instance, a provisioning task
		"stopped_task_escapes_and_fractions", // exit codes, escaped reasons, fractional timestamps, nulls
		"failures_only",                      // no task
	} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			body := testutil.ReadFile(t, filepath.Join("testdata", "lean", scenario, "describe-tasks.json"))
			client := answering(t, http.StatusOK, body)
			in := &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: []string{"t"}}
			sdk, err := client.DescribeTasks(t.Context(), in)
			if err != nil {
				t.Fatalf("SDK decoder: %v", err)
			}
			lean, err := client.DescribeTasks(t.Context(), in, withLeanDecoder)
			if err != nil {
				t.Fatalf("lean decoder: %v", err)
			}
			var want []types.Task
			for _, task := range sdk.Tasks {
				want = append(want, usedTaskFields(task))
			}
			if !reflect.DeepEqual(lean.Tasks, want) {
				got, _ := json.MarshalIndent(lean.Tasks, "", "  ")
				exp, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("lean decoder's tasks:\n%s\nwant the SDK's, restricted to the fields read:\n%s", got, exp)
			}
			// The lean decoder ran: it leaves the unread fields empty
			// where the SDK's decoder fills them.
			for i, task := range sdk.Tasks {
				if task.Version != 0 && lean.Tasks[i].Version != 0 {
					t.Errorf("task %d: version decoded: the SDK's decoder ran, not the lean one", i)
				}
			}
			if len(sdk.Failures) > 0 && len(lean.Failures) > 0 {
				t.Error("failures decoded: the SDK's decoder ran, not the lean one")
			}
		})
	}
}

// TestLeanDescribeTasksLeavesTheRestToTheSDK: an error answer, and an
// answer the lean decoder cannot read, come out of the call as they do
// without it.
func TestLeanDescribeTasksLeavesTheRestToTheSDK(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"access denied", http.StatusBadRequest, `{"__type":"AccessDeniedException","message":"not authorized to perform: ecs:DescribeTasks"}`},
		{"cluster not found", http.StatusBadRequest, `{"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."}`},
		{"truncated answer", http.StatusOK, `{"tasks":[{"taskArn":"arn:aws:ecs:eu-west-1:123456789012:task/c/1"`},
		{"string where a number belongs", http.StatusOK, `{"tasks":[{"containers":[{"exitCode":"137"}]}]}`},
		{"empty body", http.StatusOK, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := answering(t, tc.status, []byte(tc.body))
			in := &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: []string{"t"}}
			sdk, sdkErr := client.DescribeTasks(t.Context(), in)
			lean, leanErr := client.DescribeTasks(t.Context(), in, withLeanDecoder)
			if (sdkErr == nil) != (leanErr == nil) || sdkErr != nil && sdkErr.Error() != leanErr.Error() {
				t.Fatalf("error %v, want the SDK's %v", leanErr, sdkErr)
			}
			if sdkErr == nil && len(sdk.Tasks) != len(lean.Tasks) {
				t.Errorf("%d tasks, want the SDK's %d", len(lean.Tasks), len(sdk.Tasks))
			}
		})
	}
}

// TestEpochSecondsAsTheSDK: timestamps come out to the millisecond exactly
// as the SDK's smithy-go ParseEpochSeconds makes them.
func TestEpochSecondsAsTheSDK(t *testing.T) {
	t.Parallel()
	values := []string{"0", "1700000000", "1.7E9", "1.700000012345E9", "1700000000.5", "1700000000.0005",
		"1700000000.9999", "1.6999999999999E9", "-1.5", "1e-3", "1.587488011867E9", "9.2E9"}
	// Past 2262 the SDK's nanoseconds overflow: the lean decoder refuses
	// and hands the answer to the SDK's decoder.
	if _, err := (&jsonReader{b: []byte("253402300799.999")}).epochSeconds(); err == nil {
		t.Error("year 9999 read, want an error")
	}
	for i := range 2000 { // and fractions of every kind across a year
		values = append(values, json.Number(formatFloat(1.7e9+float64(i)*15778.123457+float64(i%997)/997)).String())
	}
	for _, v := range values {
		r := &jsonReader{b: []byte(v)}
		got, err := r.epochSeconds()
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		var f float64
		if err := json.Unmarshal([]byte(v), &f); err != nil {
			t.Fatal(err)
		}
		if want := smithytime.ParseEpochSeconds(f); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("%s: %v, want the SDK's %v", v, got, want)
		}
	}
}

func formatFloat(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestLeanStringsAsEncodingJSON: string values unescape as encoding/json
// (which the SDK's decoder copies) unescapes them, odd ones included.
func TestLeanStringsAsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`""`, `"plain"`, `"quote \" backslash \\ slash \/"`, `"\b\f\n\r\t"`, `"caf\u00e9"`, `"\ud83d\ude00"`,
		`"lone \ud83d surrogate"`, `"reversed \ude00\ud83d pair"`, `"\ud83d\u0041"`, "\"raw \xff byte \\n\"", `"\u0000"`,
		`"` + string([]rune{0x1F600}) + `"`, `"end \\"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		// In a block, in a nearly full one, and longer than a block.
		for _, pad := range []int{0, arenaBlock - 1, arenaBlock + 1} {
			var a arena
			if pad < arenaBlock {
				a.add(make([]byte, pad))
			} else {
				raw = `"` + strings.Repeat("x", pad) + raw[1:]
				want = strings.Repeat("x", pad) + want
			}
			r := &jsonReader{b: []byte(raw)}
			got, err := r.string(&a)
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if got != want {
				t.Errorf("%s (after %d bytes): %q, want %q", raw, pad, got, want)
			}
		}
	}
}

// TestLeanListPages: ListTasks and ListServices pages come out of the lean
// decoder as out of the SDK's: ARNs and the token of the next page.
func TestLeanListPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body string }{
		{"a page and the token of the next", `{"taskArns":["arn:aws:ecs:eu-west-1:123456789012:task/c/1","arn:aws:ecs:eu-west-1:123456789012:task/c/2"],"nextToken":"eyJ2IjoxfQ==\/x"}`},
		{"the last page", `{"serviceArns":["arn:aws:ecs:eu-west-1:123456789012:service/c/web"]}`},
		{"an empty cluster", `{"taskArns":[],"serviceArns":[],"nextToken":null}`},
		{"unknown members", `{"extra":{"a":[1,2,{"b":null}]},"taskArns":["arn:aws:ecs:eu-west-1:123456789012:task/c/\u0033"],"serviceArns":["s"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := answering(t, http.StatusOK, []byte(tc.body))
			tasksIn := &ecs.ListTasksInput{Cluster: aws.String("c")}
			sdkTasks, err := client.ListTasks(t.Context(), tasksIn)
			if err != nil {
				t.Fatal(err)
			}
			leanTasks, err := client.ListTasks(t.Context(), tasksIn, withLeanDecoder)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(nilIfEmpty(leanTasks.TaskArns), nilIfEmpty(sdkTasks.TaskArns)) || aws.ToString(leanTasks.NextToken) != aws.ToString(sdkTasks.NextToken) {
				t.Errorf("ListTasks: %q %q, want the SDK's %q %q", leanTasks.TaskArns, aws.ToString(leanTasks.NextToken), sdkTasks.TaskArns, aws.ToString(sdkTasks.NextToken))
			}
			servicesIn := &ecs.ListServicesInput{Cluster: aws.String("c")}
			sdkServices, err := client.ListServices(t.Context(), servicesIn)
			if err != nil {
				t.Fatal(err)
			}
			leanServices, err := client.ListServices(t.Context(), servicesIn, withLeanDecoder)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(nilIfEmpty(leanServices.ServiceArns), nilIfEmpty(sdkServices.ServiceArns)) || aws.ToString(leanServices.NextToken) != aws.ToString(sdkServices.NextToken) {
				t.Errorf("ListServices: %q, want the SDK's %q", leanServices.ServiceArns, sdkServices.ServiceArns)
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// usedServiceFields is s with only the fields serviceDecoder.service
// reads, empty lists as nil.
func usedServiceFields(s types.Service) types.Service {
	out := types.Service{
		ServiceArn: s.ServiceArn, ServiceName: s.ServiceName, Status: s.Status, LaunchType: s.LaunchType,
		TaskDefinition: s.TaskDefinition, DesiredCount: s.DesiredCount, RunningCount: s.RunningCount, PendingCount: s.PendingCount,
	}
	if dc := s.DeploymentConfiguration; dc != nil {
		o := &types.DeploymentConfiguration{MaximumPercent: dc.MaximumPercent, MinimumHealthyPercent: dc.MinimumHealthyPercent, Strategy: dc.Strategy}
		if cb := dc.DeploymentCircuitBreaker; cb != nil {
			o.DeploymentCircuitBreaker = &types.DeploymentCircuitBreaker{Enable: cb.Enable, Rollback: cb.Rollback}
			if tc := cb.ThresholdConfiguration; tc != nil {
				o.DeploymentCircuitBreaker.ThresholdConfiguration = &types.ThresholdConfiguration{Type: tc.Type, Value: tc.Value}
			}
		}
		if lc := dc.LinearConfiguration; lc != nil {
			o.LinearConfiguration = &types.LinearConfiguration{StepBakeTimeInMinutes: lc.StepBakeTimeInMinutes}
		}
		if cc := dc.CanaryConfiguration; cc != nil {
			o.CanaryConfiguration = &types.CanaryConfiguration{CanaryBakeTimeInMinutes: cc.CanaryBakeTimeInMinutes}
		}
		out.DeploymentConfiguration = o
	}
	if c := s.DeploymentController; c != nil {
		out.DeploymentController = &types.DeploymentController{Type: c.Type}
	}
	for _, d := range s.Deployments {
		out.Deployments = append(out.Deployments, types.Deployment{
			Id: d.Id, Status: d.Status, TaskDefinition: d.TaskDefinition, RolloutState: d.RolloutState, RolloutStateReason: d.RolloutStateReason,
			DesiredCount: d.DesiredCount, RunningCount: d.RunningCount, PendingCount: d.PendingCount, FailedTasks: d.FailedTasks,
			CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		})
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, types.ServiceEvent{Id: e.Id, CreatedAt: e.CreatedAt, Message: e.Message})
	}
	for _, ts := range s.TaskSets {
		o := types.TaskSet{
			Id: ts.Id, TaskSetArn: ts.TaskSetArn, Status: ts.Status, TaskDefinition: ts.TaskDefinition, ExternalId: ts.ExternalId,
			ComputedDesiredCount: ts.ComputedDesiredCount, RunningCount: ts.RunningCount, PendingCount: ts.PendingCount,
			StabilityStatus: ts.StabilityStatus, StabilityStatusAt: ts.StabilityStatusAt, CreatedAt: ts.CreatedAt, UpdatedAt: ts.UpdatedAt,
		}
		if ts.Scale != nil {
			o.Scale = &types.Scale{Unit: ts.Scale.Unit, Value: ts.Scale.Value}
		}
		out.TaskSets = append(out.TaskSets, o)
	}
	for _, c := range s.CapacityProviderStrategy {
		out.CapacityProviderStrategy = append(out.CapacityProviderStrategy, types.CapacityProviderStrategyItem{CapacityProvider: c.CapacityProvider, Weight: c.Weight, Base: c.Base})
	}
	for _, pc := range s.PlacementConstraints {
		out.PlacementConstraints = append(out.PlacementConstraints, types.PlacementConstraint{Type: pc.Type})
	}
	return out
}

// TestLeanDescribeServices: as TestLeanDescribeTasks, for DescribeServices
// answers.
func TestLeanDescribeServices(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{
		"rolling_service_with_breaker",     // deployments in progress, a threshold, events with escapes, capacity providers, constraints
		"blue_green_and_external_services", // linear and canary strategies, EXTERNAL and CODE_DEPLOY task sets, nulls
	} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			body := testutil.ReadFile(t, filepath.Join("testdata", "lean", scenario, "describe-services.json"))
			client := answering(t, http.StatusOK, body)
			in := &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"s"}}
			sdk, err := client.DescribeServices(t.Context(), in)
			if err != nil {
				t.Fatalf("SDK decoder: %v", err)
			}
			lean, err := client.DescribeServices(t.Context(), in, withLeanDecoder)
			if err != nil {
				t.Fatalf("lean decoder: %v", err)
			}
			var want []types.Service
			for _, s := range sdk.Services {
				want = append(want, usedServiceFields(s))
			}
			if !reflect.DeepEqual(lean.Services, want) {
				got, _ := json.MarshalIndent(lean.Services, "", "  ")
				exp, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("lean decoder's services:\n%s\nwant the SDK's, restricted to the fields read:\n%s", got, exp)
			}
			for i, s := range sdk.Services {
				if s.ClusterArn != nil && lean.Services[i].ClusterArn != nil || s.SchedulingStrategy != "" && lean.Services[i].SchedulingStrategy != "" {
					t.Errorf("service %d: unread fields decoded: the SDK's decoder ran, not the lean one", i)
				}
			}
		})
	}
}
