//go:build !sidecar

package daemon

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/promtest"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// sdWorld is the service discovery scenario: the simulated cluster, its
// EC2 instances, the loopback servers its tasks point at, and ecswatch in
// standalone mode with service discovery on.
type sdWorld struct {
	*running
	targets *sim.DiscoveryTargets
	fakeECS *sim.ECS
	fakeEC2 *sim.EC2API
	file    string
}

func startSD(t *testing.T) *sdWorld {
	t.Helper()
	targets, err := sim.ServeDiscoveryTargets(nil)
	if err != nil {
		t.Skipf("cannot serve on 127.0.0.2-5: %v", err)
	}
	t.Cleanup(targets.Close)
	fakeECS := sim.NewECS("eu-west-1", nil)
	targets.Register(fakeECS, time.Now())
	fakeEC2 := sim.NewEC2API(fakeECS)
	ecsSrv, ec2Srv := httptest.NewServer(fakeECS), httptest.NewServer(fakeEC2)
	t.Cleanup(ecsSrv.Close)
	t.Cleanup(ec2Srv.Close)
	file := filepath.Join(t.TempDir(), "ecs.json")
	r := start(t, time.Second, sim.Schedule{FirstOOM: time.Hour, Period: time.Hour}, func(c *config.Config) {
		c.Standalone.Enabled, c.Standalone.Endpoint, c.Standalone.Region = true, ecsSrv.URL, "eu-west-1"
		c.Standalone.Clusters = []string{sim.DiscoveryCluster}
		c.Standalone.Interval, c.Standalone.Timeout, c.Standalone.CallTimeout = config.Duration(500*time.Millisecond), config.Duration(500*time.Millisecond), config.Duration(500*time.Millisecond)
		sd := &c.Standalone.ServiceDiscovery
		sd.Enabled, sd.EC2Endpoint, sd.File, sd.Sidecar.Port = true, ec2Srv.URL, file, targets.SidecarPort
	})
	return &sdWorld{running: r, targets: targets, fakeECS: fakeECS, fakeEC2: fakeEC2, file: file}
}

// prometheusConfig is deploy/prometheus/ecs-sd.yml pointed at the daemon,
// with scrapes and refreshes every second.
func (w *sdWorld) prometheusConfig(t *testing.T) string {
	t.Helper()
	cfg := string(testutil.ReadFile(t, "../../deploy/prometheus/ecs-sd.yml"))
	for old, repl := range map[string]string{
		"http://ecswatch:9787": w.url, "scrape_interval: 15s": "scrape_interval: 1s", "refresh_interval: 30s": "refresh_interval: 1s",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("ecs-sd.yml lacks %q", old)
		}
		cfg = strings.ReplaceAll(cfg, old, repl)
	}
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServiceDiscoveryRealPrometheus: a real Prometheus with the shipped
// http_sd_configs discovers exactly the sidecars and exporters of the
// simulated cluster (awsvpc tasks at their ENI address, a bridge task at its
// instance's private IP and dynamic host ports), with the identity labels
// the relabelling makes, scrapes every one of them, and drops a task's
// targets once the task has stopped. The task definition with a malformed
// port is skipped with one log line and a counter.
func TestServiceDiscoveryRealPrometheus(t *testing.T) {
	t.Parallel()
	w := startSD(t)
	prom := promtest.StartServerWithConfig(t, w.prometheusConfig(t))
	tg := w.targets

	identity := func(job, addr, service, family, rev, task, container string) map[string]string {
		m := map[string]string{"job": job, "instance": addr, "ecs_cluster": sim.DiscoveryCluster, "ecs_service": service,
			"task_family": family, "task_revision": rev, "task_id": task}
		if container != "" {
			m["container_name"] = container
		}
		return m
	}
	hostPort := func(ip string, port int) string { return fmt.Sprintf("%s:%d", ip, port) }
	want := []map[string]string{
		identity("ecswatch-sidecars", hostPort(tg.WebIPs[0], tg.SidecarPort), "web", "web", "3", sim.WebTask1, ""),
		identity("ecswatch-sidecars", hostPort(tg.WebIPs[1], tg.SidecarPort), "web", "web", "3", sim.WebTask2, ""),
		identity("ecs-exporters", hostPort(tg.WebIPs[0], tg.AppPort), "web", "web", "3", sim.WebTask1, "app"),
		identity("ecs-exporters", hostPort(tg.WebIPs[1], tg.AppPort), "web", "web", "3", sim.WebTask2, "app"),
		identity("worker", hostPort(tg.InstanceIP, tg.WorkerPorts[0]), "worker", "worker", "7", sim.WorkerTask, "worker"),
		identity("worker", hostPort(tg.InstanceIP, tg.WorkerPorts[1]), "worker", "worker", "7", sim.WorkerTask, "worker"),
	}
	labelsOf := func(ts []promtest.Target) []map[string]string {
		var out []map[string]string
		for _, t := range ts {
			out = append(out, t.Labels)
		}
		return sortLabelSets(out)
	}
	sortLabelSets(want)
	healthy := func(ts []promtest.Target) bool {
		for _, t := range ts {
			if t.Health != "up" {
				return false
			}
		}
		return true
	}
	got := prom.EventuallyTargets(t, "every discovered target up", 30*time.Second, func(ts []promtest.Target) bool {
		return slices.EqualFunc(labelsOf(ts), want, maps.Equal) && healthy(ts)
	})

	// The meta labels relabelling can use.
	byInstance := map[string]promtest.Target{}
	for _, tgt := range got {
		byInstance[tgt.Labels["instance"]] = tgt
	}
	checks := []struct {
		instance string
		labels   map[string]string
	}{
		{hostPort(tg.WebIPs[0], tg.AppPort), map[string]string{
			"__metrics_path__": "/app/metrics", "__meta_ecs_container_labels_com_example_team": "storefront",
			"__meta_ecs_container_port_name": "web-metrics", "__meta_ecs_task_tags_team": "shop", "__meta_ecs_task_tags_aws_ecs_serviceName": "web",
			"__meta_ecs_task_launch_type": "FARGATE", "__meta_ecs_task_capacity_provider": "FARGATE", "__meta_ecs_task_availability_zone": "eu-west-1a",
			"__meta_ecs_task_network_mode": "awsvpc", "__meta_ecs_target_role": "exporter", "__meta_ecs_container_image": "public.ecr.aws/shop/web:3.1",
			"__meta_ecs_task_arn": "arn:aws:ecs:eu-west-1:" + sim.Account + ":task/" + sim.DiscoveryCluster + "/" + sim.WebTask1,
		}},
		{hostPort(tg.WebIPs[1], tg.SidecarPort), map[string]string{
			"__metrics_path__": "/metrics", "__meta_ecs_target_role": "sidecar", "__meta_ecs_container_name": "ecswatch",
			"__meta_ecs_task_capacity_provider": "FARGATE_SPOT",
		}},
		{hostPort(tg.InstanceIP, tg.WorkerPorts[1]), map[string]string{
			"__metrics_path__": "/jvm", "__meta_ecs_container_port_name": "jvm", "__meta_ecs_container_port": "9404",
			"__meta_ecs_task_network_mode": "bridge", "__meta_ecs_ec2_instance_id": "i-" + sim.WorkerHost, "__meta_ecs_ec2_private_ip": tg.InstanceIP,
			"__meta_ecs_container_labels_ecswatch_prometheus_job": "worker",
		}},
	}
	for _, c := range checks {
		tgt, ok := byInstance[c.instance]
		if !ok {
			t.Fatalf("no target %s", c.instance)
		}
		for k, v := range c.labels {
			if got := tgt.DiscoveredLabels[k]; got != v {
				t.Errorf("target %s: %s = %q, want %q", c.instance, k, got, v)
			}
		}
	}
	prom.Eventually(t, `count(up{job=~"ecswatch-sidecars|ecs-exporters|worker"} == 1)`, 10*time.Second,
		func(s []promtest.Sample) bool { return len(s) == 1 && s[0].Float() == 6 })

	// The second web task stops: its sidecar and app targets go.
	tg.StopWebTask2()
	prom.EventuallyTargets(t, "the stopped task's targets dropped", 30*time.Second, func(ts []promtest.Target) bool {
		var wantNow []map[string]string
		for _, m := range want {
			if m["task_id"] != sim.WebTask2 {
				wantNow = append(wantNow, m)
			}
		}
		return slices.EqualFunc(labelsOf(ts), wantNow, maps.Equal)
	})

	// The malformed task definition: described once, logged once, counted once.
	body := w.scrape(t)
	if !strings.Contains(body, `ecswatch_sd_task_definitions_skipped_total{reason="invalid_port"} 1`) {
		t.Errorf("no skipped task definition counted:\n%s", grepLines(body, "ecswatch_sd_"))
	}
	if n := w.logs.Count("malformed scrape labels"); n != 1 {
		t.Errorf("malformed labels logged %d times, want once:\n%s", n, w.logs)
	}
	calls := w.fakeECS.Calls()
	if calls["DescribeTaskDefinition"] != 3 {
		t.Errorf("DescribeTaskDefinition called %d times, want 3 (once per task definition): %v", calls["DescribeTaskDefinition"], calls)
	}
	if lookups := w.fakeEC2.InstanceLookups(); lookups["i-"+sim.WorkerHost] != 1 || len(lookups) != 1 {
		t.Errorf("EC2 instances described %v, want the worker's host once", lookups)
	}
}

// TestServiceDiscoveryFileAndFilters: the file_sd file holds what the HTTP
// endpoint answers and a real Prometheus scrapes its targets through
// file_sd_configs; the query selects by cluster, service and role; a
// misspelt parameter is an error, not everything.
func TestServiceDiscoveryFileAndFilters(t *testing.T) {
	t.Parallel()
	w := startSD(t)
	var answer string
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Six targets, and the file written after the same publish.
		body, status := get(t, w.url+"/sd/ecs")
		file, err := os.ReadFile(w.file)
		if status == 200 && strings.Count(body, `"targets"`) == 6 && err == nil && bytes.Equal(file, []byte(body)) {
			answer = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want six targets in the answer and the same in the file_sd file (err %v):\n%s\nvs\n%s", err, body, file)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.HasPrefix(answer, `[{"targets":[`) {
		t.Errorf("not the http_sd format: %s", answer)
	}
	// A real Prometheus reads the file with file_sd_configs and scrapes
	// every target in it.
	promCfg := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: ecs-file\n    file_sd_configs:\n      - files: [%q]\n        refresh_interval: 1s\n", w.file)), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := promtest.StartServerWithConfig(t, promCfg)
	prom.EventuallyTargets(t, "the file's six targets up", 30*time.Second, func(ts []promtest.Target) bool {
		up := 0
		for _, tgt := range ts {
			if tgt.Health == "up" {
				up++
			}
		}
		return len(ts) == 6 && up == 6
	})

	tests := []struct {
		name, query string
		status, n   int
	}{
		{"sidecars only", "?role=sidecar", 200, 2},
		{"exporters of one service", "?role=exporter&service=worker", 200, 2},
		{"two services, comma-separated", "?service=web,worker", 200, 6},
		{"another cluster", "?cluster=other", 200, 0},
		{"misspelt parameter", "?servce=web", 400, 0},
		{"unknown role", "?role=app", 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, status := get(t, w.url+"/sd/ecs"+tc.query)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if status == 200 && strings.Count(body, `"targets"`) != tc.n {
				t.Errorf("%d targets, want %d: %s", strings.Count(body, `"targets"`), tc.n, body)
			}
		})
	}
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode
}

func sortLabelSets(ls []map[string]string) []map[string]string {
	slices.SortFunc(ls, func(a, b map[string]string) int {
		return strings.Compare(a["job"]+a["instance"], b["job"]+b["instance"])
	})
	return ls
}

func grepLines(body, substr string) string {
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
