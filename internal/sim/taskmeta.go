// Package sim simulates the ECS endpoints ecswatch reads, so that the demo
// and the tests run without an AWS account. The simulated data is a pure
// function of the time elapsed since the simulation started: the same clock
// gives the same response, which lets tests pin exact values.
package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Variant is the kind of task a TaskSim pretends to be.
type Variant int

const (
	// Fargate is a Fargate task in awsvpc mode with cgroup v1 stats: one
	// shared interface, no per-container memory limit in the cgroup, `null`
	// stats for a stopped container.
	Fargate Variant = iota
	// EC2 is an EC2 task in bridge mode with cgroup v2 stats (Amazon Linux
	// 2023): an eth0 per container, per-container limits, `{}` stats for a
	// stopped container.
	EC2
)

// Schedule is when the worker container is OOM-killed: FirstOOM after the
// start, then every Period, and ECS restarts it RestartDelay after each kill.
type Schedule struct {
	FirstOOM     time.Duration
	Period       time.Duration
	RestartDelay time.Duration
}

// DefaultSchedule is the demo's: the first kill within half a minute, then
// one every few minutes.
var DefaultSchedule = Schedule{FirstOOM: 20 * time.Second, Period: 3 * time.Minute, RestartDelay: 8 * time.Second}

const mib = 1 << 20

// TaskSim serves a simulated task metadata endpoint v4 for one task with
// three containers: app (essential), worker (non-essential, restart policy,
// OOM-killed on a schedule) and log-router (a small sidecar).
type TaskSim struct {
	variant  Variant
	extra    int           // containers beyond the three standard ones
	latency  time.Duration // added to every answer
	now      func() time.Time
	start    time.Time
	schedule Schedule

	mu       sync.Mutex
	failMode FailMode
}

// FailMode makes the endpoint misbehave, for fault tests and demos.
type FailMode int

// The failure modes.
const (
	Healthy FailMode = iota
	Fail500
	FailHTML
	FailTruncated
	FailSlow // answers after SlowDelay
	FailDown // drops the connection without answering
	FailHuge // answers 100 MiB of never-ending JSON
)

// String names the mode, for test logs.
func (m FailMode) String() string {
	names := []string{"healthy", "HTTP 500", "HTML answer", "truncated JSON", "slow answer", "dropped connection", "100 MiB answer"}
	if int(m) < len(names) {
		return names[m]
	}
	return "FailMode(" + strconv.Itoa(int(m)) + ")"
}

// SlowDelay is how long FailSlow waits before answering.
const SlowDelay = 3 * time.Second

// WithLatency makes every answer take d, like a busy agent; benchmarks use
// it to show that scrapes do not wait for the endpoint.
func (s *TaskSim) WithLatency(d time.Duration) *TaskSim {
	s.latency = d
	return s
}

// NewTaskSim starts a simulation at now(). now is time.Now when nil.
func NewTaskSim(v Variant, now func() time.Time) *TaskSim {
	if now == nil {
		now = time.Now
	}
	return &TaskSim{variant: v, now: now, start: now(), schedule: DefaultSchedule}
}

// WithSchedule replaces the OOM schedule; call it before serving.
func (s *TaskSim) WithSchedule(sch Schedule) *TaskSim {
	s.schedule = sch
	return s
}

// WithContainers grows the task to n containers (at least three) by adding
// copies of app, for footprint tests and benchmarks; call it before serving.
func (s *TaskSim) WithContainers(n int) *TaskSim {
	s.extra = max(0, n-3)
	return s
}

// OOMKillWorkerIn moves the worker's first OOM kill to d from now, for tests
// that must observe the worker alive first. Call it before the first kill.
func (s *TaskSim) OOMKillWorkerIn(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedule.FirstOOM = s.now().Sub(s.start) + d
}

func (s *TaskSim) currentSchedule() Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schedule
}

// SetFailMode switches the endpoint into (or out of) a failure mode.
func (s *TaskSim) SetFailMode(m FailMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failMode = m
}

func (s *TaskSim) mode() FailMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failMode
}

// Handler serves /task and /task/stats (and, as the real endpoint does, the
// calling container's own metadata at /).
func (s *TaskSim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /task", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, s.Task()) })
	mux.HandleFunc("GET /task/stats", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, s.Stats()) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, s.Task()["Containers"].([]any)[2]) })
	return mux
}

func (s *TaskSim) serve(w http.ResponseWriter, r *http.Request, v any) {
	if s.latency > 0 {
		select {
		case <-time.After(s.latency):
		case <-r.Context().Done():
			return
		}
	}
	switch s.mode() {
	case FailDown:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Fail500:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	case FailHTML:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	case FailTruncated:
		body, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body[:len(body)/2])
		return
	case FailHuge:
		// Streamed, never held in memory: the client must stop reading.
		w.Header().Set("Content-Type", "application/json")
		chunk := []byte(strings.Repeat(" ", 64<<10))
		_, _ = w.Write([]byte(`{"TaskARN": "`))
		for range (100 << 20) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	case FailSlow:
		select {
		case <-time.After(SlowDelay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// container describes one simulated container.
type container struct {
	name, image string
	dockerID    string
	cpuUnits    int
	memoryMiB   int     // task-definition hard limit; 0 for none
	cpuBase     float64 // average vCPUs used
	cpuSwing    float64 // amplitude of the CPU wave, at most cpuBase
	memBaseMiB  float64
	ooms        bool // the worker: grows until killed
}

func (s *TaskSim) containers() []container {
	ids := [3]string{"3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b-1180339877", "3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b-2318512345", "3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b-3967183312"}
	if s.variant == EC2 {
		ids = [3]string{
			"9c3e1f0b7a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
			"4b2a0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
			"7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d",
		}
	}
	cs := []container{
		{name: "app", image: "public.ecr.aws/acme/storefront:1.42.0", dockerID: ids[0], cpuUnits: 512, memoryMiB: 512, cpuBase: 0.30, cpuSwing: 0.20, memBaseMiB: 180},
		{name: "worker", image: "public.ecr.aws/acme/storefront-worker:1.42.0", dockerID: ids[1], cpuUnits: 256, memoryMiB: 256, cpuBase: 0.15, cpuSwing: 0.10, memBaseMiB: 64, ooms: true},
		{name: "log-router", image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4", dockerID: ids[2], cpuUnits: 64, memoryMiB: 64, cpuBase: 0.02, cpuSwing: 0.01, memBaseMiB: 24},
	}
	for i := range s.extra {
		c := cs[0]
		c.name = fmt.Sprintf("app-%02d", i+1)
		c.dockerID = fmt.Sprintf("%s-%02d", ids[0], i+1)
		cs = append(cs, c)
	}
	return cs
}

// workerPhase says where the worker is in its OOM cycle at elapsed time e:
// whether it runs, when its current (or last) run started, when it was last
// killed, and how many times it has been restarted.
func (sch Schedule) workerPhase(e time.Duration) (running bool, startedAt, killedAt time.Duration, restarts int) {
	if e < sch.FirstOOM {
		return true, 0, -1, 0
	}
	k := int((e - sch.FirstOOM) / sch.Period) // kills before the latest one
	killedAt = sch.FirstOOM + time.Duration(k)*sch.Period
	if e < killedAt+sch.RestartDelay {
		if k == 0 {
			return false, 0, killedAt, 0
		}
		return false, killedAt - sch.Period + sch.RestartDelay, killedAt, k
	}
	return true, killedAt + sch.RestartDelay, killedAt, k + 1
}

func (s *TaskSim) identity() (cluster, clusterARN, taskARN, family, revision string) {
	if s.variant == EC2 {
		return "billing-prod", "arn:aws:ecs:eu-west-1:123456789012:cluster/billing-prod",
			"arn:aws:ecs:eu-west-1:123456789012:task/billing-prod/9f2c4e6a8b0d4f1e3a5c7e9b1d3f5a7c", "billing-api", "7"
	}
	return "shop-prod", "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod",
		"arn:aws:ecs:eu-west-1:123456789012:task/shop-prod/3f1c9a7e2b7d4c0e9a1b2c3d4e5f6a7b", "storefront", "42"
}

// Task returns the /task document at the current time.
func (s *TaskSim) Task() map[string]any {
	now := s.now()
	e := now.Sub(s.start)
	sch := s.currentSchedule()
	cluster, clusterARN, taskARN, family, revision := s.identity()
	at := func(d time.Duration) string { return s.start.Add(d).UTC().Format(time.RFC3339Nano) }

	var containers []any
	for _, c := range s.containers() {
		m := map[string]any{
			"DockerId": c.dockerID, "Name": c.name, "DockerName": "ecs-" + family + "-" + revision + "-" + c.name,
			"Image": c.image, "ImageID": "sha256:" + fmt.Sprintf("%064x", len(c.name)*7919),
			"Labels": map[string]string{
				"com.amazonaws.ecs.cluster": clusterARN, "com.amazonaws.ecs.container-name": c.name,
				"com.amazonaws.ecs.task-arn": taskARN, "com.amazonaws.ecs.task-definition-family": family,
				"com.amazonaws.ecs.task-definition-version": revision,
			},
			"DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
			"Limits":    map[string]any{"CPU": c.cpuUnits},
			"CreatedAt": at(-2 * time.Second), "StartedAt": at(0),
			"Type": "NORMAL", "ContainerARN": clusterARN + "/container/" + c.name,
			"Networks": []any{s.network()},
		}
		if s.variant == EC2 || c.ooms {
			// On Fargate only the worker has a container-level hard limit;
			// the others are held by the task's.
			m["Limits"] = map[string]any{"CPU": c.cpuUnits, "Memory": c.memoryMiB}
		}
		if c.ooms {
			running, startedAt, killedAt, restarts := sch.workerPhase(e)
			m["StartedAt"] = at(startedAt)
			m["RestartCount"] = restarts
			if !running {
				m["KnownStatus"] = "STOPPED"
				m["ExitCode"] = 137
				m["FinishedAt"] = at(killedAt)
			}
		}
		containers = append(containers, m)
	}

	task := map[string]any{
		"Cluster": clusterARN, "TaskARN": taskARN, "Family": family, "Revision": revision,
		"DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
		"PullStartedAt": at(-14 * time.Second), "PullStoppedAt": at(-3 * time.Second),
		"AvailabilityZone": "eu-west-1a", "Containers": containers,
	}
	if s.variant == EC2 {
		task["Cluster"] = cluster
		task["LaunchType"] = "EC2"
		task["ServiceName"] = "billing-api"
		task["VPCID"] = "vpc-0a1b2c3d4e5f60718"
	} else {
		task["LaunchType"] = "FARGATE"
		task["Limits"] = map[string]any{"CPU": 1, "Memory": 1024}
		task["EphemeralStorageMetrics"] = map[string]any{"Utilized": 310 + int(e.Minutes()), "Reserved": 20496}
	}
	return task
}

func (s *TaskSim) network() map[string]any {
	if s.variant == EC2 {
		return map[string]any{"NetworkMode": "bridge", "IPv4Addresses": []string{""}}
	}
	return map[string]any{"NetworkMode": "awsvpc", "IPv4Addresses": []string{"10.0.12.34"}, "AttachmentIndex": 0,
		"MACAddress": "0a:1b:2c:3d:4e:5f", "PrivateDNSName": "ip-10-0-12-34.eu-west-1.compute.internal"}
}

// Stats returns the /task/stats document at the current time.
func (s *TaskSim) Stats() map[string]any {
	now := s.now()
	e := now.Sub(s.start)
	sch := s.currentSchedule()
	out := map[string]any{}
	for i, c := range s.containers() {
		since := e // how long the current container process has run
		memMiB := c.memBaseMiB + 20*math.Sin(e.Seconds()/30+float64(i))
		if c.ooms {
			running, startedAt, killedAt, _ := sch.workerPhase(e)
			if !running {
				if s.variant == EC2 {
					out[c.dockerID] = map[string]any{}
				} else {
					out[c.dockerID] = nil
				}
				continue
			}
			since = e - startedAt
			// Grows linearly to its limit at the next kill.
			nextKill := sch.FirstOOM
			if killedAt >= 0 {
				nextKill = killedAt + sch.Period
			}
			frac := since.Seconds() / (nextKill - startedAt).Seconds()
			memMiB = c.memBaseMiB + frac*(float64(c.memoryMiB)*0.97-c.memBaseMiB)
		}
		out[c.dockerID] = s.containerStats(c, i, now, since, memMiB)
	}
	return out
}

func (s *TaskSim) containerStats(c container, i int, now time.Time, since time.Duration, memMiB float64) map[string]any {
	secs := since.Seconds()
	// CPU time is the integral of base + swing*sin(t/20), so it only grows.
	cpuNs := uint64(1e9 * (c.cpuBase*secs + c.cpuSwing*20*(1-math.Cos(secs/20))))
	throttledNs := uint64(float64(cpuNs) * 0.01 * float64(i))
	usage := uint64(memMiB * mib)
	cache := uint64((8 + 4*float64(i)) * mib)
	inactive := cache / 2
	rx, tx := uint64(2_000_000+secs*15_000*float64(i+1)), uint64(500_000+secs*6_000*float64(i+1))
	netKey := "eth0"
	if s.variant == Fargate {
		// One shared ENI: every container reports the task's counters.
		rx, tx = uint64(9_000_000+secs*42_000), uint64(3_000_000+secs*17_000)
		netKey = "eth1"
		if c.ooms {
			// Counted from the task's start, not the worker's restart.
			e := now.Sub(s.start).Seconds()
			rx, tx = uint64(9_000_000+e*42_000), uint64(3_000_000+e*17_000)
		}
	}
	st := map[string]any{
		"read":    now.UTC().Format(time.RFC3339Nano),
		"preread": now.Add(-time.Second).UTC().Format(time.RFC3339Nano),
		"name":    c.name, "id": c.dockerID, "num_procs": 0,
		"cpu_stats": map[string]any{
			"cpu_usage":        map[string]any{"total_usage": cpuNs, "usage_in_kernelmode": cpuNs / 5, "usage_in_usermode": cpuNs / 5 * 4},
			"system_cpu_usage": uint64(now.Sub(s.start).Seconds()*2e9) + 1e12,
			"online_cpus":      2,
			"throttling_data":  map[string]any{"periods": uint64(secs * 10), "throttled_periods": uint64(secs * float64(i)), "throttled_time": throttledNs},
		},
		"networks": map[string]any{netKey: map[string]any{
			"rx_bytes": rx, "rx_packets": rx / 1100, "rx_errors": 0, "rx_dropped": uint64(i),
			"tx_bytes": tx, "tx_packets": tx / 900, "tx_errors": 0, "tx_dropped": 0,
		}},
	}
	read, write := uint64(4*mib+secs*2048*float64(i+1)), uint64(secs*1024*float64(i))
	if s.variant == EC2 {
		st["memory_stats"] = map[string]any{
			"usage": usage, "limit": uint64(c.memoryMiB) * mib,
			"stats": map[string]any{"anon": usage - cache, "file": cache, "inactive_file": inactive, "active_file": cache - inactive},
		}
		st["blkio_stats"] = map[string]any{"io_service_bytes_recursive": []any{
			map[string]any{"major": 259, "minor": 0, "op": "read", "value": read},
			map[string]any{"major": 259, "minor": 0, "op": "write", "value": write},
		}}
		st["pids_stats"] = map[string]any{"current": 4 + 3*i, "limit": 4096}
	} else {
		st["memory_stats"] = map[string]any{
			"usage": usage, "max_usage": usage + 2*mib, "limit": uint64(9223372036854771712),
			"stats": map[string]any{"cache": cache, "total_cache": cache, "inactive_file": inactive, "total_inactive_file": inactive, "rss": usage - cache, "total_rss": usage - cache},
		}
		st["blkio_stats"] = map[string]any{"io_service_bytes_recursive": []any{
			map[string]any{"major": 259, "minor": 0, "op": "Read", "value": read},
			map[string]any{"major": 259, "minor": 0, "op": "Write", "value": write},
			map[string]any{"major": 259, "minor": 0, "op": "Total", "value": read + write},
		}}
		st["pids_stats"] = map[string]any{}
	}
	return st
}
