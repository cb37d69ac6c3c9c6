package taskmeta

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/catalog"
)

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
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
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
