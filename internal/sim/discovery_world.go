package sim

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// DiscoveryCluster is the cluster of the service discovery scenario.
const DiscoveryCluster = "sd-prod"

// The scenario's task IDs.
const (
	WebTask1   = "0a0b0c0d0e0f40a1b2c3d4e5f6a7b8c9"
	WebTask2   = "1a1b1c1d1e1f41a1b2c3d4e5f6a7b8c9"
	WorkerTask = "2a2b2c2d2e2f42a1b2c3d4e5f6a7b8c9"
	BrokenTask = "3a3b3c3d3e3f43a1b2c3d4e5f6a7b8c9"
	WorkerHost = "0d15c0ffee0001"
)

// DiscoveryTargets are the real loopback HTTP servers the discovery
// scenario's tasks point at: two awsvpc "web" tasks, each on its own
// loopback address with an ecswatch sidecar and an app exporter; and a
// bridge "worker" task whose two exporter ports are dynamic host ports of
// its container instance.
type DiscoveryTargets struct {
	WebIPs      [2]string
	SidecarPort int // the sidecar's port on each web task
	AppPort     int // the app's exporter port on each web task
	InstanceIP  string
	WorkerPorts [2]int // host ports of the worker's container ports 9100 and 9404
	BrokenIP    string

	servers []*http.Server
	stopped atomic.Bool
	sidecar http.Handler
}

// The container ports of the worker, behind dynamic host ports.
const (
	WorkerJobsPort = 9100
	WorkerJVMPort  = 9404
)

// ServeDiscoveryTargets starts the scenario's servers on 127.0.0.2-5. Each
// serves a small exposition on the path its task definition declares and
// 404 elsewhere, so a target scraped on the wrong path is down. sidecar,
// when not nil, serves the sidecars' /metrics instead (the demo serves a
// real ecswatch sidecar's).
func ServeDiscoveryTargets(sidecar http.Handler) (*DiscoveryTargets, error) {
	d := &DiscoveryTargets{WebIPs: [2]string{"127.0.0.2", "127.0.0.3"}, InstanceIP: "127.0.0.4", BrokenIP: "127.0.0.5", sidecar: sidecar}
	var err error
	// One port for every web task's sidecar and one for every app: the
	// task definition names one port for all of its tasks.
	if d.SidecarPort, err = d.serveSame(d.WebIPs[:], "/metrics", "sidecar"); err != nil {
		d.Close()
		return nil, err
	}
	if d.AppPort, err = d.serveSame(d.WebIPs[:], "/app/metrics", "app"); err != nil {
		d.Close()
		return nil, err
	}
	for i, path := range []string{"/metrics", "/jvm"} {
		if d.WorkerPorts[i], err = d.serve(d.InstanceIP, 0, path, "worker"); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// serveSame serves path on one free port on every ip.
func (d *DiscoveryTargets) serveSame(ips []string, path, what string) (int, error) {
	var last error
	for range 20 {
		port, err := d.serve(ips[0], 0, path, what)
		if err != nil {
			return 0, err
		}
		ok := true
		for _, ip := range ips[1:] {
			if _, err := d.serve(ip, port, path, what); err != nil {
				ok, last = false, err // taken on that address: try another port
				break
			}
		}
		if ok {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free on every address: %w", last)
}

func (d *DiscoveryTargets) serve(ip string, port int, path, what string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return 0, err
	}
	mux := http.NewServeMux()
	if what == "sidecar" && d.sidecar != nil {
		mux.Handle("GET "+path, d.sidecar)
	} else {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = fmt.Fprintf(w, "# TYPE sim_target_info gauge\nsim_target_info{what=%q} 1\n", what)
		})
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	d.servers = append(d.servers, srv)
	go func() { _ = srv.Serve(l) }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Close stops every server.
func (d *DiscoveryTargets) Close() {
	for _, s := range d.servers {
		_ = s.Close()
	}
}

// StopWebTask2 makes the second web task STOPPED from the next read on.
func (d *DiscoveryTargets) StopWebTask2() { d.stopped.Store(true) }

// Register adds the scenario's cluster and task definitions to e.
func (d *DiscoveryTargets) Register(e *ECS, start time.Time) {
	for _, td := range d.TaskDefinitions() {
		e.RegisterTaskDefinition(td)
	}
	e.AddScripted(DiscoveryCluster, func(time.Duration) *Cluster { return d.cluster(start) })
}

// TaskDefinitions are the scenario's: web:3 (awsvpc, an app exporter and an
// ecswatch sidecar), worker:7 (bridge, two named ports in ecswatch's label)
// and broken:1 (a port that is not a number).
func (d *DiscoveryTargets) TaskDefinitions() []*TaskDefinition {
	return []*TaskDefinition{
		{Family: "web", Revision: 3, NetworkMode: "awsvpc", Containers: []ContainerDefinition{
			{Name: "app", Image: "public.ecr.aws/shop/web:3.1", DockerLabels: map[string]string{
				"PROMETHEUS_EXPORTER_PORT": strconv.Itoa(d.AppPort), "PROMETHEUS_EXPORTER_PATH": "/app/metrics",
				"com.example.team": "storefront",
			}, PortMappings: []PortMapping{{Name: "web-metrics", ContainerPort: d.AppPort}}},
			{Name: "ecswatch", Image: "public.ecr.aws/ecswatch/ecswatch:0.2.0", PortMappings: []PortMapping{{ContainerPort: d.SidecarPort}}},
		}},
		{Family: "worker", Revision: 7, NetworkMode: "bridge", Containers: []ContainerDefinition{
			{Name: "worker", Image: "public.ecr.aws/shop/worker:7", DockerLabels: map[string]string{
				"ecswatch.prometheus.ports": fmt.Sprintf("jobs=%d,jvm=%d/jvm", WorkerJobsPort, WorkerJVMPort),
				"ecswatch.prometheus.job":   "worker",
			}, PortMappings: []PortMapping{{ContainerPort: WorkerJobsPort}, {ContainerPort: WorkerJVMPort}}},
		}},
		{Family: "broken", Revision: 1, NetworkMode: "awsvpc", Containers: []ContainerDefinition{
			{Name: "app", Image: "public.ecr.aws/shop/broken:1", DockerLabels: map[string]string{"PROMETHEUS_EXPORTER_PORT": "http"}},
		}},
	}
}

func (d *DiscoveryTargets) cluster(start time.Time) *Cluster {
	web2 := "RUNNING"
	var stoppedAt time.Time
	if d.stopped.Load() {
		web2, stoppedAt = "STOPPED", start
	}
	task := func(id, service, td, launch, status, ip string, containers ...string) *Task {
		t := &Task{ID: id, Service: service, TaskDefinition: td, LaunchType: launch, LastStatus: status, DesiredStatus: status,
			CPU: 256, Memory: 512, CreatedAt: start.Add(-time.Hour), StoppedAt: stoppedAt,
			Net: &TaskNetwork{PrivateIP: ip, Tags: map[string]string{"team": "shop", "aws:ecs:serviceName": service}}}
		if status == "STOPPED" {
			t.StopCode, t.StoppedReason = "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)"
		}
		for _, c := range containers {
			t.Containers = append(t.Containers, Container{Name: c})
		}
		return t
	}
	web1 := task(WebTask1, "web", "web:3", "FARGATE", "RUNNING", d.WebIPs[0], "app", "ecswatch")
	web1.CapacityProvider = "FARGATE"
	webT2 := task(WebTask2, "web", "web:3", "FARGATE", web2, d.WebIPs[1], "app", "ecswatch")
	webT2.CapacityProvider = "FARGATE_SPOT"
	worker := task(WorkerTask, "worker", "worker:7", "EC2", "RUNNING", "", "worker")
	worker.ContainerInstance = WorkerHost
	worker.Net.Bindings = map[string]map[int]int{"worker": {WorkerJobsPort: d.WorkerPorts[0], WorkerJVMPort: d.WorkerPorts[1]}}
	broken := task(BrokenTask, "broken", "broken:1", "FARGATE", "RUNNING", d.BrokenIP, "app")
	return &Cluster{
		Name: DiscoveryCluster,
		Services: []*Service{
			discoveryService("web", "web:3", "FARGATE", 2, start), discoveryService("worker", "worker:7", "EC2", 1, start), discoveryService("broken", "broken:1", "FARGATE", 1, start),
		},
		Tasks:     []*Task{web1, webT2, worker, broken},
		Instances: []*Instance{{ID: WorkerHost, CPU: 2048, Memory: 4096, FreeCPU: 1024, FreeMemory: 2048, PrivateIP: d.InstanceIP}},
	}
}

func discoveryService(name, td, launchType string, n int, start time.Time) *Service {
	return &Service{Name: name, LaunchType: launchType, Desired: n, MaximumPercent: 200, MinimumHealthyPercent: 100,
		Deployments: []Deployment{{ID: "ecs-svc/" + name, Status: "PRIMARY", TaskDefinition: td, RolloutState: "COMPLETED",
			Desired: n, Running: n, CreatedAt: start.Add(-2 * time.Hour), UpdatedAt: start.Add(-time.Hour)}}}
}
