package ecssd

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

func labelled(labels map[string]string, mappings ...types.PortMapping) types.ContainerDefinition {
	return types.ContainerDefinition{Name: aws.String("app"), Image: aws.String("shop/app:1"), DockerLabels: labels, PortMappings: mappings}
}

// TestContainerPorts: the label conventions users already have, ecswatch's
// own with several ports, and malformed labels, each with the reason it is
// counted under.
func TestContainerPorts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cd     types.ContainerDefinition
		want   []port
		reason string
	}{
		{"no scrape labels", labelled(map[string]string{"team": "shop"}), nil, ""},
		{"prometheus-ecs-discovery labels", labelled(map[string]string{LabelPort: "9100", LabelPath: "/m", LabelJobName: "node"}),
			[]port{{Number: 9100, Path: "/m", Job: "node"}}, ""},
		{"CloudWatch agent labels, path defaulted", labelled(map[string]string{LabelCWPort: "8080"}),
			[]port{{Number: 8080, Path: "/metrics"}}, ""},
		{"both conventions on one port are one target", labelled(map[string]string{LabelPort: "8080", LabelCWPort: "8080"}),
			[]port{{Number: 8080, Path: "/metrics"}}, ""},
		{"port named by its port mapping", labelled(map[string]string{LabelPort: "8080"}, types.PortMapping{ContainerPort: aws.Int32(8080), Name: aws.String("http")}),
			[]port{{Number: 8080, Name: "http", Path: "/metrics"}}, ""},
		{"ecswatch label with several named ports", labelled(map[string]string{LabelPorts: "app=8080/metrics, jvm=9404/jvm/prom ,9100", LabelJob: "shop"}),
			[]port{{Number: 8080, Name: "app", Path: "/metrics", Job: "shop"}, {Number: 9404, Name: "jvm", Path: "/jvm/prom", Job: "shop"}, {Number: 9100, Path: "/metrics", Job: "shop"}}, ""},
		{"non-numeric port", labelled(map[string]string{LabelPort: "http"}), nil, ReasonInvalidPort},
		{"port zero", labelled(map[string]string{LabelCWPort: "0"}), nil, ReasonPortOutOfRange},
		{"port above 65535", labelled(map[string]string{LabelPorts: "app=70000"}), nil, ReasonPortOutOfRange},
		{"duplicate port names", labelled(map[string]string{LabelPorts: "app=8080,app=8081"}), nil, ReasonDuplicatePortName},
		{"empty port name", labelled(map[string]string{LabelPorts: "=8080"}), nil, ReasonInvalidPortName},
		{"relative path", labelled(map[string]string{LabelPort: "8080", LabelPath: "metrics"}), nil, ReasonInvalidPath},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := containerPorts(tc.cd)
			var le *labelError
			switch {
			case tc.reason == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.reason != "" && (!errors.As(err, &le) || le.Reason != tc.reason):
				t.Fatalf("error %v, want reason %s", err, tc.reason)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ports %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestTaskTargets: where each network mode is reached, as ECS reports it.
func TestTaskTargets(t *testing.T) {
	t.Parallel()
	opts := Options{SidecarNames: []string{"ecswatch"}, SidecarImages: []string{"ecswatch"}, SidecarPort: 9787, SidecarPath: "/metrics"}
	def := func(mode types.NetworkMode, cds ...types.ContainerDefinition) *taskDef {
		return parseTaskDefinition(types.TaskDefinition{Family: aws.String("web"), Revision: 3, NetworkMode: mode, ContainerDefinitions: cds})
	}
	app := labelled(map[string]string{LabelPort: "8080"})
	sidecar := types.ContainerDefinition{Name: aws.String("metrics"), Image: aws.String("public.ecr.aws/ecswatch/ecswatch:0.2.0")}
	binding := func(c, h int32) types.NetworkBinding {
		return types.NetworkBinding{ContainerPort: aws.Int32(c), HostPort: aws.Int32(h)}
	}
	container := func(name, status string, bindings ...types.NetworkBinding) types.Container {
		return types.Container{Name: aws.String(name), LastStatus: aws.String(status), NetworkBindings: bindings}
	}
	eni := []types.Attachment{{Type: aws.String("ElasticNetworkInterface"), Details: []types.KeyValuePair{{Name: aws.String("privateIPv4Address"), Value: aws.String("10.0.1.7")}}}}
	task := func(launch types.LaunchType, attachments []types.Attachment, cs ...types.Container) types.Task {
		return types.Task{TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/prod/abc"), Group: aws.String("service:web"), LaunchType: launch, Attachments: attachments, Containers: cs}
	}
	tests := []struct {
		name       string
		task       types.Task
		def        *taskDef
		instanceIP string
		want       []string // address role path
	}{
		{"awsvpc task: the ENI's address and the container port", task(types.LaunchTypeFargate, eni, container("app", "RUNNING")), def(types.NetworkModeAwsvpc, app), "",
			[]string{"10.0.1.7:8080 exporter /metrics"}},
		{"bridge task: the instance's address and the dynamic host port", task(types.LaunchTypeEc2, nil, container("app", "RUNNING", binding(8080, 32768))), def(types.NetworkModeBridge, app), "10.0.2.9",
			[]string{"10.0.2.9:32768 exporter /metrics"}},
		{"no network mode is bridge", task(types.LaunchTypeEc2, nil, container("app", "RUNNING", binding(8080, 32770))), def("", app), "10.0.2.9",
			[]string{"10.0.2.9:32770 exporter /metrics"}},
		{"host mode without a binding: the container port on the instance", task(types.LaunchTypeEc2, nil, container("app", "RUNNING")), def(types.NetworkModeHost, app), "10.0.2.9",
			[]string{"10.0.2.9:8080 exporter /metrics"}},
		{"bridge port not mapped: unreachable, no target", task(types.LaunchTypeEc2, nil, container("app", "RUNNING", binding(80, 32768))), def(types.NetworkModeBridge, app), "10.0.2.9", nil},
		{"bridge instance IP not known yet: no target", task(types.LaunchTypeEc2, nil, container("app", "RUNNING", binding(8080, 32768))), def(types.NetworkModeBridge, app), "", nil},
		{"exited container of a running task: no target", task(types.LaunchTypeFargate, eni, container("app", "STOPPED")), def(types.NetworkModeAwsvpc, app), "", nil},
		{"sidecar found by image, on the configured port", task(types.LaunchTypeFargate, eni, container("app", "RUNNING"), container("metrics", "RUNNING")), def(types.NetworkModeAwsvpc, app, sidecar), "",
			[]string{"10.0.1.7:8080 exporter /metrics", "10.0.1.7:9787 sidecar /metrics"}},
		{"two containers of an awsvpc task naming one port: one target", task(types.LaunchTypeFargate, eni, container("app", "RUNNING"), container("proxy", "RUNNING")),
			def(types.NetworkModeAwsvpc, app, types.ContainerDefinition{Name: aws.String("proxy"), DockerLabels: map[string]string{LabelCWPort: "8080"}}), "",
			[]string{"10.0.1.7:8080 exporter /metrics"}},
		{"malformed labels: no exporter target, the sidecar still", task(types.LaunchTypeFargate, eni, container("app", "RUNNING"), container("metrics", "RUNNING")),
			def(types.NetworkModeAwsvpc, labelled(map[string]string{LabelPort: "x"}), sidecar), "", []string{"10.0.1.7:9787 sidecar /metrics"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, tg := range taskTargets("prod", newRunningTask(&tc.task), tc.def, "i-1", tc.instanceIP, opts) {
				got = append(got, tg.Address+" "+tg.Role+" "+tg.Labels["__metrics_path__"])
				if tg.Labels[MetaService] != "web" || tg.Labels[MetaTaskID] != "abc" || tg.Labels[MetaFamily] != "web" || tg.Labels[MetaRevision] != "3" {
					t.Errorf("identity meta labels %v", tg.Labels)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("targets %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSanitisedLabels: docker labels and tags become meta labels with
// Prometheus-safe names; two keys that sanitise alike keep one value,
// always the same.
func TestSanitisedLabels(t *testing.T) {
	t.Parallel()
	labels := map[string]string{}
	addSanitised(labels, MetaContainerLabel, map[string]string{"com.example/team": "a", "com_example_team": "b", "aws:ecs:serviceName": "web"})
	want := map[string]string{MetaContainerLabel + "com_example_team": "a", MetaContainerLabel + "aws_ecs_serviceName": "web"}
	if !maps.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
}

// TestTaskDefinitionsDescribedOnce: through the real SDK against the
// simulated ECS, each task definition is described once however many cycles
// and tasks use it; one that cannot be described is asked again next cycle
// and its tasks get their targets once it can; EC2 instances are described
// once each.
func TestTaskDefinitionsDescribedOnce(t *testing.T) {
	t.Parallel()
	fake := sim.NewECS("eu-west-1", nil)
	fake.RegisterTaskDefinition(&sim.TaskDefinition{Family: "web", Revision: 3, NetworkMode: "bridge", Containers: []sim.ContainerDefinition{
		{Name: "app", Image: "shop/web:3", DockerLabels: map[string]string{LabelPort: "8080"}},
	}})
	fake.AddCluster(&sim.Cluster{Name: "prod", Instances: []*sim.Instance{{ID: "0001", PrivateIP: "10.0.2.9"}}})
	fakeEC2 := sim.NewEC2API(fake)
	ecsSrv, ec2Srv := httptest.NewServer(fake), httptest.NewServer(fakeEC2)
	t.Cleanup(ecsSrv.Close)
	t.Cleanup(ec2Srv.Close)
	store := collector.NewStore(nil)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(ecsSrv.URL, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	ec2Client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(ec2Srv.URL) })
	logs := &testutil.Logs{}
	d := New(taskdefs.New(ecs.NewFromConfig(cfg), 0, 0), ec2Client, store, logs.Logger(), Options{})

	instanceARN := "arn:aws:ecs:eu-west-1:1:container-instance/prod/0001"
	instances := []types.ContainerInstance{{ContainerInstanceArn: aws.String(instanceARN), Ec2InstanceId: aws.String("i-0001")}}
	task := func(id, td string, hostPort int32) types.Task {
		return types.Task{
			TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/prod/" + id), TaskDefinitionArn: aws.String("arn:aws:ecs:eu-west-1:1:task-definition/" + td),
			LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"), LaunchType: types.LaunchTypeEc2, ContainerInstanceArn: aws.String(instanceARN),
			Containers: []types.Container{{Name: aws.String("app"), LastStatus: aws.String("RUNNING"),
				NetworkBindings: []types.NetworkBinding{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(hostPort)}}}},
		}
	}
	tasks := []types.Task{task("t1", "web:3", 32768), task("t2", "web:3", 32769), task("t3", "api:1", 32770)}
	addresses := func() []string {
		var out []string
		for _, tg := range d.Targets() {
			out = append(out, tg.Address)
		}
		return out
	}
	if d.Ready() {
		t.Fatal("ready before any cluster was observed")
	}
	ctx := context.Background()
	for range 3 {
		d.Observe(ctx, "prod", tasks, instances)
	}
	if got, want := addresses(), []string{"10.0.2.9:32768", "10.0.2.9:32769"}; !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	// web:3 once; api:1, unknown to ECS, once per cycle.
	if n := fake.Calls()["DescribeTaskDefinition"]; n != 4 {
		t.Errorf("DescribeTaskDefinition called %d times, want 4", n)
	}
	fake.RegisterTaskDefinition(&sim.TaskDefinition{Family: "api", Revision: 1, NetworkMode: "bridge", Containers: []sim.ContainerDefinition{
		{Name: "app", Image: "shop/api:1", DockerLabels: map[string]string{LabelCWPort: "8080"}},
	}})
	d.Observe(ctx, "prod", tasks, instances)
	d.Observe(ctx, "prod", tasks, instances)
	if got, want := addresses(), []string{"10.0.2.9:32768", "10.0.2.9:32769", "10.0.2.9:32770"}; !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	if n := fake.Calls()["DescribeTaskDefinition"]; n != 5 {
		t.Errorf("DescribeTaskDefinition called %d times, want 5", n)
	}
	if n := logs.Count("cannot describe task definitions"); n != 3 {
		t.Errorf("describe failures logged %d times, want once per failing cycle (3):\n%s", n, logs)
	}
	if lookups := fakeEC2.InstanceLookups(); !maps.Equal(lookups, map[string]int{"i-0001": 1}) {
		t.Errorf("EC2 instances described %v, want i-0001 once", lookups)
	}

	// The task stops: its target is gone from the next answer.
	d.Observe(ctx, "prod", tasks[:2], instances)
	if got, want := addresses(), []string{"10.0.2.9:32768", "10.0.2.9:32769"}; !slices.Equal(got, want) {
		t.Errorf("after t3 stopped: targets %v, want %v", got, want)
	}
}

// TestSharedTaskDefinitionDescribedOnce: clusters are observed concurrently;
// a task definition they share is still described once.
func TestSharedTaskDefinitionDescribedOnce(t *testing.T) {
	t.Parallel()
	fake := sim.NewECS("eu-west-1", nil)
	fake.SetDelay(50 * time.Millisecond) // both clusters ask while the first describe is in flight
	fake.RegisterTaskDefinition(&sim.TaskDefinition{Family: "web", Revision: 3, NetworkMode: "awsvpc", Containers: []sim.ContainerDefinition{
		{Name: "app", DockerLabels: map[string]string{LabelPort: "8080"}},
	}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), collector.NewStore(nil))
	if err != nil {
		t.Fatal(err)
	}
	d := New(taskdefs.New(ecs.NewFromConfig(cfg), 0, 0), nil, nil, (&testutil.Logs{}).Logger(), Options{})
	task := func(cluster string) types.Task {
		return types.Task{
			TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/" + cluster + "/t1"), TaskDefinitionArn: aws.String("arn:aws:ecs:eu-west-1:1:task-definition/web:3"),
			LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"), LaunchType: types.LaunchTypeFargate,
			Containers: []types.Container{{Name: aws.String("app"), LastStatus: aws.String("RUNNING"),
				NetworkInterfaces: []types.NetworkInterface{{PrivateIpv4Address: aws.String("10.0.0.1")}}}},
		}
	}
	var wg sync.WaitGroup
	for _, cluster := range []string{"a", "b", "c"} {
		wg.Go(func() { d.Observe(t.Context(), cluster, []types.Task{task(cluster)}, nil) })
	}
	wg.Wait()
	if n := fake.Calls()["DescribeTaskDefinition"]; n != 1 {
		t.Errorf("DescribeTaskDefinition called %d times, want 1", n)
	}
	if n := len(d.Targets()); n != 3 {
		t.Errorf("%d targets, want one per cluster", n)
	}
}

// TestTasksWhoseInstanceCannotBeDescribedKeepTheirTargets: a cluster's
// services are rendered one after another; when an instance's address is
// forgotten and cannot be learned again this cycle, its tasks keep the
// targets they had, in their place, and the answer does not change.
func TestTasksWhoseInstanceCannotBeDescribedKeepTheirTargets(t *testing.T) {
	t.Parallel()
	d := New(nil, nil, nil, (&testutil.Logs{}).Logger(), Options{})
	tdARN := "arn:aws:ecs:eu-west-1:1:task-definition/web:3"
	d.defs[tdARN] = parseTaskDefinition(types.TaskDefinition{Family: aws.String("web"), Revision: 3, NetworkMode: types.NetworkModeBridge,
		ContainerDefinitions: []types.ContainerDefinition{labelled(map[string]string{LabelPort: "8080"})}})
	d.ips["i-1"] = "10.0.2.9"
	instanceARN := "arn:aws:ecs:eu-west-1:1:container-instance/prod/0001"
	instances := []types.ContainerInstance{{ContainerInstanceArn: aws.String(instanceARN), Ec2InstanceId: aws.String("i-1")}}
	task := func(group, id string, hostPort int32) types.Task {
		return types.Task{
			TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/prod/" + id), TaskDefinitionArn: aws.String(tdARN), Group: aws.String(group),
			LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"), LaunchType: types.LaunchTypeEc2, ContainerInstanceArn: aws.String(instanceARN),
			Containers: []types.Container{{Name: aws.String("app"), LastStatus: aws.String("RUNNING"),
				NetworkBindings: []types.NetworkBinding{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(hostPort)}}}},
		}
	}
	tasks := []types.Task{task("service:web", "t2", 32769), task("family:web", "t9", 32771), task("service:api", "t3", 32770), task("service:web", "t1", 32768)}
	byService := func() []string {
		var out []string
		for _, tg := range d.Targets() {
			out = append(out, tg.Service+"/"+tg.Task+" "+tg.Address)
		}
		return out
	}
	want := []string{"/t9 10.0.2.9:32771", "api/t3 10.0.2.9:32770", "web/t1 10.0.2.9:32768", "web/t2 10.0.2.9:32769"}
	d.Observe(t.Context(), "prod", tasks, instances)
	if got := byService(); !slices.Equal(got, want) {
		t.Fatalf("targets %q, want %q", got, want)
	}
	first := d.byCluster["prod"]

	delete(d.ips, "i-1") // forgotten, and no EC2 client to learn it again
	d.Observe(t.Context(), "prod", tasks, instances)
	if got := byService(); !slices.Equal(got, want) {
		t.Errorf("targets kept %q, want %q", got, want)
	}
	if !d.byCluster["prod"].same(first) {
		t.Error("the kept targets render differently")
	}
}

// A cluster the collector stops reading (deleted, or no longer configured)
// loses its targets at once, with the task definitions and instance
// addresses only it used; the other clusters' stay.
func TestForgottenClusterLosesItsTargets(t *testing.T) {
	t.Parallel()
	d := New(nil, nil, nil, (&testutil.Logs{}).Logger(), Options{})
	def := func(family string) string {
		arn := "arn:aws:ecs:eu-west-1:1:task-definition/" + family + ":1"
		d.defs[arn] = parseTaskDefinition(types.TaskDefinition{Family: aws.String(family), Revision: 1, NetworkMode: types.NetworkModeAwsvpc,
			ContainerDefinitions: []types.ContainerDefinition{labelled(map[string]string{LabelPort: "8080"})}})
		return arn
	}
	task := func(cluster, tdARN, ip string) types.Task {
		return types.Task{
			TaskArn: aws.String("arn:aws:ecs:eu-west-1:1:task/" + cluster + "/t1"), TaskDefinitionArn: aws.String(tdARN), Group: aws.String("service:app"),
			LastStatus: aws.String("RUNNING"), DesiredStatus: aws.String("RUNNING"), LaunchType: types.LaunchTypeFargate,
			Containers: []types.Container{{Name: aws.String("app"), LastStatus: aws.String("RUNNING"),
				NetworkInterfaces: []types.NetworkInterface{{PrivateIpv4Address: aws.String(ip)}}}},
		}
	}
	// Each definition known just before its cluster's cycle: a cycle
	// forgets those no watched cluster uses.
	batch := def("batch")
	d.Observe(t.Context(), "batch", []types.Task{task("batch", batch, "10.0.0.1")}, nil)
	web := def("web")
	d.Observe(t.Context(), "web", []types.Task{task("web", web, "10.0.0.2")}, nil)
	if n := len(d.Targets()); n != 2 {
		t.Fatalf("%d targets before, want one per cluster", n)
	}

	d.Forget("batch")
	d.Forget("never-seen") // nothing to forget
	got := d.Targets()
	if len(got) != 1 || got[0].Address != "10.0.0.2:8080" {
		t.Errorf("targets after forgetting batch: %+v, want web's alone", got)
	}
	if _, kept := d.defs[batch]; kept {
		t.Error("batch's task definition kept after its cluster was forgotten")
	}
	if _, kept := d.defs[web]; !kept {
		t.Error("web's task definition dropped with another cluster")
	}
}
