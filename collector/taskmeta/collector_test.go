package taskmeta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// serveFixture serves testdata/<name>/task.json and stats.json as the
// metadata endpoint would.
func serveFixture(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, file := range map[string]string{"/task": "task.json", "/task/stats": "stats.json"} {
		body := testutil.ReadFile(t, filepath.Join(dir, file))
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func collectOnce(t *testing.T, url string) *collector.Task {
	t.Helper()
	store := collector.NewStore(nil)
	c := New(Name, NewClient(url, time.Second), store, slog.New(slog.DiscardHandler))
	if err := c.Collect(t.Context()); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	tasks := store.Snapshot().Tasks
	if len(tasks) != 1 {
		t.Fatalf("got %d tasks, want 1", len(tasks))
	}
	return tasks[0]
}

// TestGolden pins every value the collector derives from each fixture shape:
// Fargate cgroup v1 (awsvpc, null stats), EC2 cgroup v2 bridge ({} stats,
// pause container), containers with no stats yet, and a task without limits.
func TestGolden(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			task := collectOnce(t, serveFixture(t, dir).URL)
			got, err := json.MarshalIndent(task, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join(dir, "want.json"), append(got, '\n'))
		})
	}
}

// TestRules checks the rules DESIGN.md lists, independently of the golden
// files, so a careless -update cannot bless a wrong value.
func TestRules(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	fargate := collectOnce(t, serveFixture(t, "testdata/fargate_cgroupv1").URL)
	ec2 := collectOnce(t, serveFixture(t, "testdata/ec2_cgroupv2_bridge").URL)
	pending := collectOnce(t, serveFixture(t, "testdata/no_stats_yet").URL)
	unlimited := collectOnce(t, serveFixture(t, "testdata/no_limits").URL)

	byName := func(task *collector.Task, name string) *collector.Container {
		for i := range task.Containers {
			if task.Containers[i].Name == name {
				return &task.Containers[i]
			}
		}
		t.Fatalf("no container %q in %s", name, task.Family)
		return nil
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"v1 working set = usage - total_inactive_file", byName(fargate, "api").Stats.MemoryWorkingSetBytes, 127934464 - 52383744},
		{"v2 working set = usage - inactive_file", byName(ec2, "app").Stats.MemoryWorkingSetBytes, 265249280 - 17641472},
		{"working set floors at 0", byName(pending, "init").Stats.MemoryWorkingSetBytes, 0},
		{"v1 page cache = cache", byName(fargate, "api").Stats.MemoryCacheBytes, 85426176},
		{"v2 page cache = file", byName(ec2, "app").Stats.MemoryCacheBytes, 25296896},
		{"unlimited cgroup falls back to task limit", byName(fargate, "api").Stats.MemoryLimitBytes, 1024 * mb},
		{"unlimited cgroup falls back to container limit", byName(fargate, "envoy").Stats.MemoryLimitBytes, 128 * mb},
		{"v2 cgroup limit used as is", byName(ec2, "web").Stats.MemoryLimitBytes, 536870912},
		{"no limit anywhere", byName(unlimited, "agent").Stats.MemoryLimitBytes, 0},
		{"CPU seconds from nanoseconds", byName(fargate, "api").Stats.CPUUsageSeconds, 0.932439492},
		{"throttled seconds", byName(ec2, "app").Stats.CPUThrottledSeconds, 0.041},
		{"container CPU units to vCPUs", byName(ec2, "app").CPULimitVCPUs, 1},
		{"task CPU already in vCPUs", fargate.CPULimitVCPUs, 0.5},
		{"task memory MiB to bytes", fargate.MemoryLimitBytes, 1024 * mb},
		{"v1 blkio sums Read rows of all devices", byName(fargate, "api").Stats.BlockReadBytes, 23793664 + 4096},
		{"v1 blkio ignores Total and Sync", byName(fargate, "api").Stats.BlockWriteBytes, 1048576},
		{"v2 blkio lowercase ops", byName(ec2, "web").Stats.BlockReadBytes, 99926016},
		{"ephemeral storage MiB to bytes", fargate.EphemeralStorageUsedBytes, 427 * mb},
		{"image pull duration", fargate.ImagePullDuration().Seconds(), 12.25},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}

	// awsvpc: the shared interface once per task, none per container.
	if len(fargate.Networks) != 1 || fargate.Networks[0].Interface != "eth1" || fargate.Networks[0].RxBytes != 129045374 {
		t.Errorf("awsvpc task networks = %+v, want eth1 once", fargate.Networks)
	}
	if n := byName(fargate, "api").Stats.Networks; n != nil {
		t.Errorf("awsvpc container networks = %+v, want none", n)
	}
	// bridge: each container its own eth0, none at task level.
	if len(ec2.Networks) != 0 || byName(ec2, "app").Stats.Networks[0].RxBytes != 101869 || byName(ec2, "web").Stats.Networks[0].RxBytes != 45368 {
		t.Errorf("bridge networks wrong: task %+v", ec2.Networks)
	}
	// The pause container is plumbing.
	if len(ec2.Containers) != 3 {
		t.Errorf("EC2 task has %d containers, want 3 without the pause container", len(ec2.Containers))
	}
	// Stopped containers: null and {} both mean no stats.
	if byName(fargate, "migrate").Stats != nil || byName(ec2, "warmup").Stats != nil {
		t.Error("stopped containers must have no stats")
	}
	if byName(pending, "report").Stats != nil || byName(pending, "uploader").Stats != nil {
		t.Error("containers not started yet must have no stats")
	}
	if c := byName(pending, "report"); c.State != collector.StatePending {
		t.Errorf("PULLED container state = %s, want PENDING", c.State)
	}
	if ec2.Cluster != "orders" || fargate.Cluster != "payments" || fargate.ClusterARN == "" {
		t.Errorf("cluster names: %q %q (ARN %q)", ec2.Cluster, fargate.Cluster, fargate.ClusterARN)
	}
	if fargate.ID != "0a1b2c3d4e5f40718293a4b5c6d7e8f9" || ec2.Service != "orders-web" {
		t.Errorf("identity: id %q service %q", fargate.ID, ec2.Service)
	}
}

// TestCollectErrors feeds the collector every kind of bad answer: it must
// return an error that says what went wrong and publish nothing.
func TestCollectErrors(t *testing.T) {
	t.Parallel()
	good, _ := os.ReadFile("testdata/fargate_cgroupv1/task.json")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, "500 Internal Server Error"},
		{"html", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>oops</html>")) }, `decode "<html>oops</html>"`},
		{"truncated", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(good[:len(good)/2]) }, "unexpected end of JSON input"},
		{"no task arn", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) }, "response has no TaskARN"},
		{"wrong type", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`[1,2]`)) }, "cannot unmarshal array"},
		{"huge", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte(" "), DefaultMaxResponseBytes+10))
		}, "response too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			store := collector.NewStore(nil)
			err := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler)).Collect(t.Context())
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if n := len(store.Snapshot().Tasks); n != 0 {
				t.Errorf("published %d tasks after an error", n)
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		defer srv.Close()
		err := New(Name, NewClient(srv.URL, 50*time.Millisecond), collector.NewStore(nil), slog.New(slog.DiscardHandler)).Collect(t.Context())
		if err == nil {
			t.Fatal("want a timeout error")
		}
	})
	t.Run("down", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := New(Name, NewClient(url, time.Second), collector.NewStore(nil), slog.New(slog.DiscardHandler)).Collect(context.Background())
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("connection refused")) {
			t.Fatalf("err = %v, want connection refused", err)
		}
	})
}

// TestPlatformShapes pins, apart from the golden files, the rule each
// platform shape exists for (README, "How values are derived").
func TestPlatformShapes(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	tests := []struct {
		fixture, container string
		check              func(t *testing.T, task *collector.Task, c *collector.Container)
	}{
		{"fargate_pause_networks", "app", func(t *testing.T, task *collector.Task, c *collector.Container) {
			// Only the pause container reports the task's interface.
			if len(task.Networks) != 1 || task.Networks[0].Interface != "eth1" || task.Networks[0].RxBytes != 5000000 {
				t.Errorf("task networks = %+v, want the pause container's eth1", task.Networks)
			}
			if len(task.Containers) != 1 {
				t.Errorf("the pause container is reported as a container: %+v", task.Containers)
			}
			if c.CPULimitVCPUs != 0 {
				t.Errorf("Limits.CPU 2 (none set) read as %v vCPUs", c.CPULimitVCPUs)
			}
			if c.Stats.HasBlockIO {
				t.Error("no block devices listed, yet block I/O reported")
			}
		}},
		{"ec2_awsvpc_pause_networks", "worker", func(t *testing.T, task *collector.Task, c *collector.Container) {
			if len(task.Networks) != 1 || task.Networks[0].RxBytes != 9000000 {
				t.Errorf("task networks = %+v", task.Networks)
			}
		}},
		{"ec2_bridge_service_connect", "web", func(t *testing.T, task *collector.Task, c *collector.Container) {
			if len(task.Networks) != 1 || task.Networks[0].RxBytes != 7000000 || c.Stats.Networks != nil {
				t.Errorf("Service Connect bridge task: task networks %+v, web's %+v", task.Networks, c.Stats.Networks)
			}
		}},
		{"windows", "iis", func(t *testing.T, _ *collector.Task, c *collector.Container) {
			s := c.Stats
			if s.CPUUsageSeconds != 12.3456789 || s.MemoryWorkingSetBytes != 144*mb || s.MemoryUsageBytes != 256*mb ||
				s.BlockReadBytes != 7*mb || s.BlockWriteBytes != mb || s.MemoryLimitBytes != 2048*mb {
				t.Errorf("windows stats = %+v", s)
			}
			if s.HasCPUThrottled || s.HasMemoryCache || s.HasPIDs {
				t.Errorf("a field Windows lacks is reported: %+v", s)
			}
		}},
		{"fargate_vm_memory", "api", func(t *testing.T, _ *collector.Task, c *collector.Container) {
			if c.Stats.MemoryLimitBytes != 1024*mb {
				t.Errorf("limit = %v, want the task's 1 GiB, not the micro-VM's 4 GiB", c.Stats.MemoryLimitBytes)
			}
		}},
		{"ec2_device_mapper", "etl", func(t *testing.T, _ *collector.Task, c *collector.Container) {
			if c.Stats.BlockReadBytes != 40960000 || c.Stats.BlockWriteBytes != 20480000 {
				t.Errorf("block I/O = %v/%v, want the backing device's once", c.Stats.BlockReadBytes, c.Stats.BlockWriteBytes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			task := collectOnce(t, serveFixture(t, "testdata/"+tt.fixture).URL)
			c := task.Container(tt.container)
			if c == nil || c.Stats == nil {
				t.Fatalf("no stats for %s", tt.container)
			}
			tt.check(t, task, c)
		})
	}
}

// TestImplausibleNumbersAreRefused: a number no task can have marks the
// reading bad (the run fails, so ecswatch_collector_up goes to 0) instead of
// being exported as +Inf or a counter jump of 2^64.
func TestImplausibleNumbersAreRefused(t *testing.T) {
	t.Parallel()
	const task = `{"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/t1", "Limits": {"CPU": %s, "Memory": %s},
		"Containers": [{"Name": "app", "DockerId": "d1", "Type": "NORMAL", "KnownStatus": "RUNNING"}]}`
	const stats = `{"d1": {"read": "2026-03-02T10:00:00Z", "memory_stats": {"usage": %s}, "cpu_stats": {"cpu_usage": {"total_usage": %s}}}}`
	tests := []struct {
		name                   string
		taskBody, statsBody    string
		wantTask, wantAppStats bool
	}{
		{"sane", fmt.Sprintf(task, "1", "2048"), fmt.Sprintf(stats, "1000", "5"), true, true},
		{"task memory 1e308 MiB", fmt.Sprintf(task, "1", "1e308"), fmt.Sprintf(stats, "1000", "5"), false, false},
		{"task of a million vCPUs", fmt.Sprintf(task, "1000000", "2048"), fmt.Sprintf(stats, "1000", "5"), false, false},
		{"memory usage 2^64-1", fmt.Sprintf(task, "1", "2048"), fmt.Sprintf(stats, "18446744073709551615", "5"), true, false},
		{"CPU time 2^64-1 ns", fmt.Sprintf(task, "1", "2048"), fmt.Sprintf(stats, "1000", "18446744073709551615"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/stats") {
					_, _ = w.Write([]byte(tt.statsBody))
					return
				}
				_, _ = w.Write([]byte(tt.taskBody))
			}))
			defer srv.Close()
			store := collector.NewStore(nil)
			err := New(Name, NewClient(srv.URL, time.Second), store, slog.New(slog.DiscardHandler)).Collect(t.Context())
			sane := tt.wantTask && tt.wantAppStats
			if (err == nil) != sane || (!sane && !errors.Is(err, ErrImplausible)) {
				t.Errorf("Collect error = %v, want an implausible-value error: %v", err, !sane)
			}
			tasks := store.Snapshot().Tasks
			if (len(tasks) == 1) != tt.wantTask {
				t.Fatalf("published %d tasks, want task published = %v", len(tasks), tt.wantTask)
			}
			if tt.wantTask && (tasks[0].Containers[0].Stats != nil) != tt.wantAppStats {
				t.Errorf("app stats = %+v, want present = %v", tasks[0].Containers[0].Stats, tt.wantAppStats)
			}
		})
	}
}

// TestOversizedResponseIsNotRead: a metadata answer over 1 MiB (a real
// /task/stats of ten containers is about 60 KiB) is refused rather than
// buffered: /task and /task/stats are read at once, and a sidecar's heap is
// a few MiB.
func TestOversizedResponseIsNotRead(t *testing.T) {
	t.Parallel()
	huge := `{"TaskARN": "arn:aws:ecs:us-east-1:1:task/c/t1", "Padding": "` + strings.Repeat("x", 2<<20) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(huge)) }))
	defer srv.Close()
	_, err := NewClient(srv.URL, time.Second).Task(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("a 2 MiB answer: err = %v, want %v", err, ErrResponseTooLarge)
	}
}

// TestEveryFixtureExportsOnlyWhatTheSourceHas walks each fixture through the
// catalogue as every exporter does, and holds it to what any scrape must
// hold: no NaN or infinite value, no negative value, no series twice, and a
// container's stats series present exactly when the stats carry its field,
// so that a field a platform lacks (Windows has no throttling or page cache)
// is never exported as 0.
func TestEveryFixtureExportsOnlyWhatTheSourceHas(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			task := collectOnce(t, serveFixture(t, dir).URL)
			snap := &collector.Snapshot{Time: time.Now(), Tasks: []*collector.Task{task}}
			seen := map[string]bool{}
			got := map[string]bool{} // family + container, for stats series
			catalog.Walk(snap, func(smp *catalog.Sample) {
				f, v, labels := smp.Family, smp.Value, smp.Labels
				key := f.Name + "{" + strings.Join(labels, ",") + "}"
				if seen[key] {
					t.Errorf("%s exported twice", key)
				}
				seen[key] = true
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Errorf("%s = %v", key, v)
				}
				if len(labels) > 0 && f.Scope == catalog.ScopeContainer {
					got[f.Name+"/"+labels[0]] = true
				}
			})
			for container, fields := range sourceFields(t, dir) {
				for family, has := range fields {
					if got[family+"/"+container] != has {
						t.Errorf("%s of %s exported = %v, but the stats carry its field = %v", family, container, got[family+"/"+container], has)
					}
				}
			}
		})
	}
}

// sourceFields reads a fixture's raw JSON and says, per NORMAL container
// with stats, which stats series its fields support.
func sourceFields(t *testing.T, dir string) map[string]map[string]bool {
	t.Helper()
	var task struct {
		Containers []struct{ Name, DockerId, Type string }
	}
	var stats map[string]map[string]json.RawMessage
	for file, v := range map[string]any{"task.json": &task, "stats.json": &stats} {
		b := testutil.ReadFile(t, filepath.Join(dir, file))
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]map[string]bool{}
	for _, c := range task.Containers {
		st := stats[c.DockerId]
		if (c.Type != "" && c.Type != "NORMAL") || len(st) == 0 {
			continue
		}
		var mem struct {
			Usage             *uint64           `json:"usage"`
			Stats             map[string]uint64 `json:"stats"`
			PrivateWorkingSet *uint64           `json:"privateworkingset"`
			Commit            *uint64           `json:"commitbytes"`
		}
		var blkio struct {
			Entries []json.RawMessage `json:"io_service_bytes_recursive"`
		}
		var storage struct {
			Read *uint64 `json:"read_size_bytes"`
		}
		var pids struct {
			Current *uint64 `json:"current"`
		}
		_ = json.Unmarshal(st["memory_stats"], &mem)
		_ = json.Unmarshal(st["blkio_stats"], &blkio)
		_ = json.Unmarshal(st["storage_stats"], &storage)
		_ = json.Unmarshal(st["pids_stats"], &pids)
		windows := mem.PrivateWorkingSet != nil || mem.Commit != nil || storage.Read != nil
		_, cache := mem.Stats["cache"]
		_, file := mem.Stats["file"]
		out[c.Name] = map[string]bool{
			"ecs_container_cpu_usage_seconds_total":      true,
			"ecs_container_cpu_throttled_seconds_total":  !windows,
			"ecs_container_memory_usage_bytes":           mem.Usage != nil || mem.Commit != nil,
			"ecs_container_memory_working_set_bytes":     mem.Usage != nil || mem.PrivateWorkingSet != nil,
			"ecs_container_memory_page_cache_size_bytes": cache || file,
			"ecs_container_blkio_read_bytes_total":       len(blkio.Entries) > 0 || storage.Read != nil,
			"ecs_container_pids":                         pids.Current != nil,
		}
	}
	return out
}
