package ecsvocab

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// stopCase is a stopped task as DescribeTasks and the ECS Task State Change
// event give it; the texts are ECS's documented ones, with made-up names.
type stopCase struct {
	name             string
	stopCode, reason string
	containers       []string
	want             string
}

// StopCases covers every pattern of StopPatterns and StopCodeClasses.
var stopCases = []stopCase{
	{"image that does not exist", "TaskFailedToStart", "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v2.3.1: not found", nil, StopImagePull},
	{"image pull error only on the container", "TaskFailedToStart", "Task failed to start", []string{"CannotPullContainerError: Error response from daemon: pull access denied for api, repository does not exist"}, StopImagePull},
	{"image manifest", "TaskFailedToStart", "CannotPullImageManifestError: failed to resolve manifest", nil, StopImagePull},
	{"image manifest on the container", "TaskFailedToStart", "", []string{"CannotPullImageManifestError: failed to resolve manifest"}, StopImagePull},
	{"missing secret", "TaskFailedToStart", "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-password from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.", nil, StopResourceInit},
	{"missing log group", "TaskFailedToStart", "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.", nil, StopResourceInit},
	{"resource init on the container", "TaskFailedToStart", "", []string{"ResourceInitializationError: failed to download env files"}, StopResourceInit},
	{"command not executable", "TaskFailedToStart", `CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: exec: "/app/start.sh": permission denied: unknown`, nil, StopContainerStart},
	{"container create error", "TaskFailedToStart", "CannotCreateContainerError: Error response from daemon: devmapper: Thin Pool has 0 free data blocks", nil, StopContainerStart},
	{"container inspect error", "TaskFailedToStart", "CannotInspectContainerError: Could not transition to inspecting; timed out after waiting 30s", nil, StopContainerStart},
	{"container runtime error", "TaskFailedToStart", "ContainerRuntimeError: failed to create container", nil, StopContainerStart},
	{"container runtime timeout", "TaskFailedToStart", "ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 3m0s", nil, StopContainerStart},
	{"start errors on the container", "TaskFailedToStart", "", []string{"CannotCreateContainerError: x"}, StopContainerStart},
	{"start errors on the container: start", "TaskFailedToStart", "", []string{"CannotStartContainerError: x"}, StopContainerStart},
	{"start errors on the container: inspect", "TaskFailedToStart", "", []string{"CannotInspectContainerError: x"}, StopContainerStart},
	{"start errors on the container: runtime", "TaskFailedToStart", "", []string{"ContainerRuntimeError: x"}, StopContainerStart},
	{"start errors on the container: runtime timeout", "TaskFailedToStart", "", []string{"ContainerRuntimeTimeoutError: x"}, StopContainerStart},
	{"killed by the load balancer", "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef)", nil, StopELBHealthCheck},
	{"container health check", "ServiceSchedulerInitiated", "Task failed container health checks", nil, StopContainerHealthCheck},
	{"essential container OOM-killed", "EssentialContainerExited", "Essential container in task exited", []string{"OutOfMemoryError: Container killed due to memory usage", ""}, StopOOM},
	{"essential container crashed", "EssentialContainerExited", "Essential container in task exited", []string{"", ""}, StopEssentialExited},
	{"essential exit without text", "EssentialContainerExited", "", nil, StopEssentialExited},
	{"spot interruption", "SpotInterruption", "Your Spot Task was interrupted.", nil, StopSpotInterruption},
	{"spot interruption by code only", "SpotInterruption", "", nil, StopSpotInterruption},
	{"deployment or desired count scaled down", "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/8646900195280463695)", nil, StopScaleIn},
	{"stopped by a user", "UserInitiated", "Task stopped by user", nil, StopUser},
	{"stop code user without text", "UserInitiated", "", nil, StopUser},
	{"instance terminated", "", "Host EC2 (instance i-0123456789abcdef0) terminated.", nil, StopInfrastructure},
	{"instance deregistered", "", "Container instance deregistration forced by user", nil, StopInfrastructure},
	{"maintenance", "ServiceSchedulerInitiated", "ECS is performing maintenance on the underlying infrastructure hosting the task", nil, StopInfrastructure},
	{"termination notice", "TerminationNotice", "", nil, StopInfrastructure},
	{"infrastructure health", "InfrastructureHealth", "", nil, StopInfrastructure},
	{"something ECS has not documented", "ServiceSchedulerInitiated", "Something new", nil, StopOther},
	{"nothing at all", "", "", nil, StopOther},
}

// TestStopClass: every documented stop reason pattern lands in its class,
// and every pattern is exercised.
func TestStopClass(t *testing.T) {
	t.Parallel()
	for _, tt := range stopCases {
		if got := StopClass(tt.stopCode, tt.reason, tt.containers); got != tt.want {
			t.Errorf("%s: StopClass = %q, want %q", tt.name, got, tt.want)
		}
		if !slices.Contains(StopClasses, tt.want) {
			t.Errorf("%s: %q is not a class", tt.name, tt.want)
		}
	}
	for _, p := range StopPatterns {
		covered := slices.ContainsFunc(stopCases, func(c stopCase) bool {
			if p.Field == FieldContainerReason {
				return slices.ContainsFunc(c.containers, func(r string) bool { return matches(p, r) }) && c.want == p.Class
			}
			return matches(p, c.reason) && c.want == p.Class
		})
		if !covered {
			t.Errorf("no case exercises %s %q", p.Field, p.Pattern)
		}
	}
}

func TestContainerStopClass(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		reason string
		exited bool
		want   string
	}{
		{"OutOfMemoryError: Container killed due to memory usage", true, StopOOM},
		{"CannotPullContainerError: not found", false, StopImagePull},
		{"", true, StopExited},
		{"", false, StopOther},
		{"DockerTimeoutError: x", false, StopOther},
	} {
		got := ContainerStopClass(tt.reason, tt.exited)
		if got != tt.want || !slices.Contains(ContainerStopClasses(), got) {
			t.Errorf("ContainerStopClass(%q, %v) = %q, want %q", tt.reason, tt.exited, got, tt.want)
		}
	}
}

// TestReadmeStopTable holds README's "Why tasks stop" table to StopPatterns
// and StopCodeClasses, row for row, in order.
func TestReadmeStopTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "<!-- stop-reasons -->")
	j := strings.Index(text, "<!-- /stop-reasons -->")
	if i < 0 || j < i {
		t.Fatal("README has no stop-reasons table")
	}
	var got []string
	for line := range strings.Lines(text[i:j]) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for k := range cells {
			cells[k] = strings.TrimSpace(cells[k])
		}
		got = append(got, strings.Join(cells[:4], " | "))
	}
	var want []string
	for _, p := range StopPatterns {
		match := "contains"
		if p.Prefix {
			match = "starts with"
		}
		want = append(want, "`"+string(p.Field)+"` | "+match+" | `"+p.Pattern+"` | `"+p.Class+"`")
	}
	for _, c := range StopCodeClasses {
		want = append(want, "`"+string(FieldStopCode)+"` | is | `"+c.Code+"` | `"+c.Class+"`")
	}
	if !slices.Equal(got, want) {
		t.Errorf("README's stop reason table does not match the code; its rows should be:\n%s", strings.Join(want, "\n"))
	}
	for _, c := range StopClasses {
		if !strings.Contains(text[j:], "`"+c+"`") && !strings.Contains(text[:i], "`"+c+"`") {
			t.Errorf("README never explains class %q", c)
		}
	}
}

// TestHealthStatusesAreTheSDKs: the health statuses written out are the
// SDK's.
func TestHealthStatusesAreTheSDKs(t *testing.T) {
	t.Parallel()
	var sdk []string
	for _, s := range types.HealthStatus("").Values() {
		sdk = append(sdk, string(s))
	}
	if !slices.Equal(sdk, HealthStatuses) {
		t.Errorf("HealthStatuses = %v, the SDK's are %v", HealthStatuses, sdk)
	}
	if HealthStatusLabel("") != "UNKNOWN" || HealthStatusLabel("HEALTHY") != "HEALTHY" || HealthStatusLabel("WHATEVER") != "UNKNOWN" {
		t.Error("HealthStatusLabel does not bound")
	}
}
