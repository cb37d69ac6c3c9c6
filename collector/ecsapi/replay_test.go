package ecsapi

import (
	"encoding/json"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

var record = flag.Bool("record", false, "record testdata/<scenario>/ payloads from the ECS simulator")

// recordings are the scenarios recorded from the simulator's shop cluster,
// by their time into its timeline. The payloads are data: edit a copy to
// make a new scenario, no Go needed.
var recordings = map[string]time.Duration{
	"shop_at_start":          0,
	"shop_breaker_tripped":   sim.CircuitBreakerTrips + 5*time.Second,
	"shop_rollout_completed": sim.RollbackDone + 30*time.Second,
}

// TestRecordedPayloads feeds each scenario's recorded ECS API answers to the
// collector through the real SDK client, and pins the services it derives
// (translate, then the health rules of a first cycle) in want.json.
func TestRecordedPayloads(t *testing.T) {
	t.Parallel()
	if *record {
		for name, at := range recordings {
			recordScenario(t, filepath.Join("testdata", name), at)
		}
	}
	dirs, _ := filepath.Glob("testdata/*")
	if len(dirs) < len(recordings) {
		t.Fatalf("%d recorded scenarios, want %d (go test -run TestRecordedPayloads -record)", len(dirs), len(recordings))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			nowText, err := os.ReadFile(filepath.Join(dir, "now.txt"))
			if err != nil {
				t.Fatal(err)
			}
			now, err := time.Parse(time.RFC3339, strings.TrimSpace(string(nowText)))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim.Replay(func() string { return dir }, sim.ECSPayload))
			defer srv.Close()
			store := collector.NewStore(func() time.Time { return now })
			cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
			if err != nil {
				t.Fatal(err)
			}
			c := New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{
				Clusters: []string{sim.ShopCluster}, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions,
			})
			c.SetClock(func() time.Time { return now })
			if err := c.Collect(t.Context()); err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(store.Snapshot().Services, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			testutil.Golden(t, filepath.Join(dir, "want.json"), append(got, '\n'))
		})
	}
}

// recordScenario runs the simulator at at into its timeline and writes
// every answer a collection gets into dir.
func recordScenario(t *testing.T, dir string, at time.Duration) {
	t.Helper()
	clk := testutil.NewClock(start)
	fake := sim.NewECS("eu-west-1", clk.Now)
	fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
	clk.Set(start.Add(at))
	srv := httptest.NewServer(sim.Record(dir, fake, sim.ECSPayload))
	defer srv.Close()
	store := collector.NewStore(clk.Now)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(srv.URL, "eu-west-1"), store)
	if err != nil {
		t.Fatal(err)
	}
	c := New(ecs.NewFromConfig(cfg), store, slog.New(slog.DiscardHandler), Options{Clusters: []string{sim.ShopCluster}, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions})
	c.SetClock(clk.Now)
	if err := c.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "now.txt"), []byte(clk.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
