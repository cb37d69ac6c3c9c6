package taskmeta

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ecswatch/ecswatch/collector"
)

func seeds(f *testing.F, name string) {
	dirs, _ := filepath.Glob("testdata/*")
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
			f.Add(b)
		}
	}
}

// FuzzTask: any /task body either fails to decode or translates without
// panicking into a task whose containers are all NORMAL ones.
func FuzzTask(f *testing.F) {
	seeds(f, "task.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var tr taskResponse
		if json.Unmarshal(body, &tr) != nil {
			return
		}
		task := translate(&tr, nil)
		if len(task.Containers) > len(tr.Containers) {
			t.Fatalf("%d containers from %d", len(task.Containers), len(tr.Containers))
		}
		New(Name, nil, collector.NewStore(nil), slog.New(slog.DiscardHandler)).track(task, &tr)
	})
}

// FuzzStats: any /task/stats body decodes container by container and
// translates without panicking; values are never negative.
func FuzzStats(f *testing.F) {
	seeds(f, "stats.json")
	task, _ := os.ReadFile("testdata/ec2_cgroupv2_bridge/task.json")
	var tr taskResponse
	if err := json.Unmarshal(task, &tr); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			return
		}
		stats, _ := decodeStats(raw)
		for _, c := range translate(&tr, stats).Containers {
			if s := c.Stats; s != nil && (s.MemoryWorkingSetBytes < 0 || s.CPUUsageSeconds < 0 || s.MemoryLimitBytes < 0) {
				t.Fatalf("negative value in %+v", s)
			}
		}
	})
}
