package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.yaml.in/yaml/v3"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/events"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/daemon"
	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

func TestAlertRules(t *testing.T) {
	t.Parallel()
	promtool := promtest.Binary(t, "promtool")
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// Every alert has a severity, a summary and a runbook, and a firing and
	// a quiet test case.
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, "prometheus/alerts.yml", &rules)
	tests, _ := os.ReadFile("prometheus/alerts_test.yml")
	for _, r := range rules.Groups[0].Rules {
		if r.For == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || len(r.Annotations["runbook"]) < 80 {
			t.Errorf("%s lacks for, severity, summary or a runbook paragraph", r.Alert)
		}
		if n := strings.Count(string(tests), "alertname: "+r.Alert+"\n"); n < 2 {
			t.Errorf("%s has %d test cases, want a firing and a quiet one", r.Alert, n)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b := testutil.ReadFile(t, path)
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// decodeStrict decodes a JSON file into v, refusing unknown fields.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b := testutil.ReadFile(t, path)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s does not decode into %T: %v", path, v, err)
	}
}

// TestTaskDefinitions: every task and service definition decodes strictly
// into the SDK's input types, and ecswatch's container in each has a health
// check, logs, a stop timeout, a non-root user and a read-only root
// filesystem.
func TestTaskDefinitions(t *testing.T) {
	t.Parallel()
	taskdefs, _ := filepath.Glob("ecs/*-taskdef.json")
	services, _ := filepath.Glob("ecs/*-service.json")
	if len(taskdefs) != 3 || len(services) != 2 {
		t.Fatalf("want 3 task definitions and 2 services, got %v %v", taskdefs, services)
	}
	for _, path := range taskdefs {
		var td ecs.RegisterTaskDefinitionInput
		decodeStrict(t, path, &td)
		i := slices.IndexFunc(td.ContainerDefinitions, func(c types.ContainerDefinition) bool { return *c.Name == "ecswatch" })
		if i < 0 {
			t.Errorf("%s has no ecswatch container", path)
			continue
		}
		c := td.ContainerDefinitions[i]
		switch {
		case c.HealthCheck == nil || !slices.Contains(c.HealthCheck.Command, "healthcheck"):
			t.Errorf("%s: no ecswatch healthcheck", path)
		case c.LogConfiguration == nil:
			t.Errorf("%s: no log configuration", path)
		case c.StopTimeout == nil || *c.StopTimeout > 30 || *c.StopTimeout <= int32(config.Default().ShutdownTimeout/config.Duration(time.Second)):
			t.Errorf("%s: stopTimeout must exceed ecswatch's shutdown_timeout and stay within 30s", path)
		case c.User == nil || *c.User == "" || strings.HasPrefix(*c.User, "0") || *c.User == "root":
			t.Errorf("%s: runs as root", path)
		case c.ReadonlyRootFilesystem == nil || !*c.ReadonlyRootFilesystem:
			t.Errorf("%s: root filesystem not read-only", path)
		}
		if strings.Contains(path, "sidecar") && (c.Essential == nil || *c.Essential) {
			t.Errorf("%s: the sidecar must be non-essential", path)
		}
	}
	for _, path := range services {
		var svc ecs.CreateServiceInput
		decodeStrict(t, path, &svc)
	}
}

// TestIAMPolicyMatchesCalls runs the daemon in standalone mode with every
// AWS collector against the simulators, records the operations they are
// sent, and compares them with the policy's actions: nothing missing,
// nothing granted that is never used.
func TestIAMPolicyMatchesCalls(t *testing.T) {
	t.Parallel()
	start := time.Now()
	fakeECS := sim.NewECS("eu-west-1", nil)
	fakeECS.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	// Service discovery's cluster: awsvpc and bridge tasks, so that task
	// definitions and EC2 instances are described.
	(&sim.DiscoveryTargets{WebIPs: [2]string{"10.0.1.2", "10.0.1.3"}, SidecarPort: 9787, AppPort: 8080, InstanceIP: "10.0.2.4", WorkerPorts: [2]int{32768, 32769}}).Register(fakeECS, start)
	fakeEC2 := sim.NewEC2API(fakeECS)
	ec2Srv := httptest.NewServer(fakeEC2)
	defer ec2Srv.Close()
	fakeCW := sim.NewCloudWatch(nil)
	fakeSQS := sim.NewSQS()
	ecsSrv, cwSrv, sqsSrv := httptest.NewServer(fakeECS), httptest.NewServer(fakeCW), httptest.NewServer(fakeSQS)
	defer ecsSrv.Close()
	defer cwSrv.Close()
	defer sqsSrv.Close()
	queue := fakeSQS.CreateQueue(sqsSrv.URL, "ecswatch-ecs-events", 30*time.Second)
	for _, body := range sim.ShopEvents("eu-west-1", start)(0, time.Hour) {
		fakeSQS.Send("ecswatch-ecs-events", body)
	}

	cfg := config.Default()
	cfg.Web.ListenAddress = "127.0.0.1:0"
	off := false
	cfg.Sidecar.Enabled = &off
	cfg.Standalone.Enabled, cfg.Standalone.Endpoint, cfg.Standalone.Region = true, ecsSrv.URL, "eu-west-1"
	cfg.Standalone.Interval, cfg.Standalone.Timeout, cfg.Standalone.CallTimeout = config.Duration(200*time.Millisecond), config.Duration(200*time.Millisecond), config.Duration(200*time.Millisecond)
	cfg.Standalone.ServiceDiscovery.Enabled, cfg.Standalone.ServiceDiscovery.EC2Endpoint = true, ec2Srv.URL
	cfg.Insights.Enabled, cfg.Insights.Endpoint, cfg.Insights.Interval = true, cwSrv.URL, config.Duration(200*time.Millisecond)
	cfg.Events.Enabled, cfg.Events.Endpoint, cfg.Events.Region, cfg.Events.QueueURL, cfg.Events.WaitTime = true, sqsSrv.URL, "eu-west-1", queue, config.Duration(time.Second)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(cfg, (&testutil.Logs{}).Logger(), daemon.WithEnv(func(string) (string, bool) { return "", false }), daemon.WithSimulatedAWS())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for !everyCollectorSucceeded(d.Store().Snapshot()) || fakeSQS.Depth("ecswatch-ecs-events") > 0 {
		// Scraped as Prometheus would: a message is deleted once its
		// effect has been delivered.
		if resp, err := http.Get("http://" + d.Addrs()[0].String() + "/metrics"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("collectors did not all succeed: %+v", d.Store().Snapshot().Collectors)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a second round of the insights collector, with services known
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	used := map[string]bool{}
	for op := range fakeECS.Calls() {
		used["ecs:"+op] = true
	}
	for op := range fakeEC2.Calls() {
		used["ec2:"+op] = true
	}
	for op := range fakeSQS.Calls() {
		used["sqs:"+strings.TrimSuffix(op, "Batch")] = true // batch operations are authorised as their single form
	}
	if calls, _ := fakeCW.Calls(); calls > 0 {
		used["cloudwatch:GetMetricData"] = true
	}

	var policy struct {
		Version   string
		Statement []struct {
			Sid      string
			Effect   string
			Action   []string
			Resource any
		}
	}
	decodeStrict(t, "iam/standalone-policy.json", &policy)
	granted := map[string]bool{}
	for _, s := range policy.Statement {
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("wildcard action %s", a)
			}
			granted[a] = true
		}
	}
	for a := range used {
		if !granted[a] {
			t.Errorf("the daemon calls %s, which the policy does not grant", a)
		}
	}
	for a := range granted {
		if !used[a] {
			t.Errorf("the policy grants %s, which the daemon never calls", a)
		}
	}
}

func everyCollectorSucceeded(s *collector.Snapshot) bool {
	if len(s.Collectors) == 0 {
		return false
	}
	for _, h := range s.Collectors {
		if h.LastSuccess.IsZero() {
			return false
		}
	}
	return true
}

// TestEventBridgeAndQueue checks the CloudFormation template's wiring: the
// rule sends exactly the detail-types ecswatch reads to the queue, the queue
// lets that rule (and only it) send, and unreadable messages go to the DLQ.
func TestEventBridgeAndQueue(t *testing.T) {
	t.Parallel()
	var tmpl struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	readYAML(t, "cloudformation/ecs-events.yaml", &tmpl)
	rule := tmpl.Resources["EcsEventsRule"].Properties
	pattern := rule["EventPattern"].(map[string]any)
	var detailTypes []string
	for _, v := range pattern["detail-type"].([]any) {
		detailTypes = append(detailTypes, v.(string))
	}
	slices.Sort(detailTypes)
	want := []string{events.DeploymentStateChange, events.TaskStateChange, events.ServiceAction, events.ContainerInstanceStateChange}
	slices.Sort(want)
	if !slices.Equal(detailTypes, want) || pattern["source"].([]any)[0] != "aws.ecs" {
		t.Errorf("rule pattern = %v, want source aws.ecs and %v", pattern, want)
	}
	if target := jsonOf(rule["Targets"]); !strings.Contains(target, `"EventsQueue","Arn"`) {
		t.Errorf("rule target = %s, want the events queue", target)
	}
	policy := jsonOf(tmpl.Resources["EventsQueuePolicy"].Properties)
	for _, w := range []string{`"Service":"events.amazonaws.com"`, `"Action":"sqs:SendMessage"`, `"aws:SourceArn":{"Fn::GetAtt":["EcsEventsRule","Arn"]}`} {
		if !strings.Contains(policy, w) {
			t.Errorf("queue policy lacks %s: %s", w, policy)
		}
	}
	redrive := jsonOf(tmpl.Resources["EventsQueue"].Properties["RedrivePolicy"])
	if !strings.Contains(redrive, `"DeadLetterQueue","Arn"`) || !strings.Contains(redrive, "maxReceiveCount") {
		t.Errorf("redrive policy = %s", redrive)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var promMetric = regexp.MustCompile(`\b(ecs|ecswatch)_[a-z_]+\b`)

// TestMetricsExist: every metric the alerts and the Grafana dashboard query
// is in the catalogue, and every metric the Datadog dashboard and monitors
// query is one the Datadog exporter sends.
func TestMetricsExist(t *testing.T) {
	t.Parallel()
	known := map[string]bool{"ecswatch_build_info": true}
	for _, f := range catalog.Families() {
		known[f.Name] = true
	}
	for _, path := range []string{"prometheus/alerts.yml", "grafana/ecswatch.json"} {
		b, _ := os.ReadFile(path)
		names := promMetric.FindAllString(string(b), -1)
		if len(names) < 8 {
			t.Errorf("%s names only %d metrics", path, len(names))
		}
		for _, name := range names {
			if !known[name] && name != "ecs_cluster" && name != "ecs_service" { // those two are labels
				t.Errorf("%s uses %s, which ecswatch does not export", path, name)
			}
		}
	}
	sent := map[string]bool{"ecswatch.deployment": true} // the service check
	for _, f := range catalog.Families() {
		if f.Datadog.Type != catalog.DatadogTags {
			sent["ecswatch."+f.Datadog.Name] = true
		}
	}
	ddMetric := regexp.MustCompile(`ecswatch\.[a-z_.]+[a-z_]`)
	for _, path := range []string{"datadog/dashboard.json", "datadog/monitors.json"} {
		b, _ := os.ReadFile(path)
		for _, name := range ddMetric.FindAllString(string(b), -1) {
			if !sent[name] {
				t.Errorf("%s uses %s, which the Datadog exporter does not send", path, name)
			}
		}
	}
}

// TestDockerfileHygiene: base images are pinned by digest, the build context
// leaves out history and local build output, and each image's build stage
// builds its own binary only.
func TestDockerfileHygiene(t *testing.T) {
	t.Parallel()
	b := testutil.ReadFile(t, "../Dockerfile")
	stages := map[string]string{} // stage name -> its instructions
	var current string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "FROM" {
			image := f[1]
			if _, local := stages[image]; !local && !regexp.MustCompile(`^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`).MatchString(image) {
				t.Errorf("%s: base image not pinned by tag and digest", image)
			}
			current = f[len(f)-1]
		}
		stages[current] += line + "\n"
	}
	for target, build := range map[string]string{"sidecar": "build-sidecar", "full": "build-full"} {
		if !strings.Contains(stages[target], "--from="+build+" ") {
			t.Errorf("target %s does not copy from %s", target, build)
		}
		if n := strings.Count(stages[build], "go build"); n != 1 {
			t.Errorf("stage %s runs go build %d times, want once", build, n)
		}
	}
	ignore := testutil.ReadFile(t, "../.dockerignore")
	for _, want := range []string{".git", "*.test", "/ecswatch"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

// TestReadmeShowsServiceDiscoveryConfig: README's prometheus.yml for service
// discovery is deploy/prometheus/ecs-sd.yml, which a real Prometheus runs in
// internal/daemon's TestServiceDiscoveryRealPrometheus.
func TestReadmeShowsServiceDiscoveryConfig(t *testing.T) {
	t.Parallel()
	cfg := testutil.ReadFile(t, "prometheus/ecs-sd.yml")
	testutil.ReadmeSection(t, "../README.md", "<!-- ecs-sd:begin (generated by go test ./deploy -update) -->\n", "<!-- ecs-sd:end -->\n",
		"```yaml\n"+string(cfg)+"```\n")
}
