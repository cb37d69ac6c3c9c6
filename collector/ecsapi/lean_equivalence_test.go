package ecsapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/ecssd"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// keepSDKDecoding is a client protocol that keeps the SDK's decoders
// throughout (see sdkDecoding).
type keepSDKDecoding struct{ smithyhttp.ClientProtocol }

func (keepSDKDecoding) SDKDecoding() {}

// twin is a collector, with service discovery fed by it, on its own store.
type twin struct {
	store *collector.Store
	c     *Collector
	sd    *ecssd.Discovery

	mu       sync.Mutex
	observed map[string][]types.Task // by cluster, the last cycle's
}

// newTwin returns a collector of clusters against the ECS API at ecsURL
// (and EC2's at ec2URL for discovery), on clk, decoding answers lean or
// with the SDK's decoders only.
func newTwin(t *testing.T, clk *testutil.Clock, ecsURL, ec2URL string, lean bool, clusters ...string) *twin {
	t.Helper()
	tw := &twin{store: collector.NewStore(clk.Now), observed: map[string][]types.Task{}}
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(ecsURL, "eu-west-1"), tw.store)
	if err != nil {
		t.Fatal(err)
	}
	client := ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		if !lean {
			o.Protocol = keepSDKDecoding{o.Protocol}
		}
	})
	logger := slog.New(slog.DiscardHandler)
	defs := taskdefs.New(client, 10*time.Second, 0)
	tw.sd = ecssd.New(defs, ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(ec2URL) }), tw.store, logger,
		ecssd.Options{SidecarNames: []string{"ecswatch"}, SidecarPort: 9787, CallTimeout: 10 * time.Second})
	tw.c = New(client, tw.store, logger, Options{
		Clusters: clusters, CallTimeout: 10 * time.Second, Health: rules.DefaultOptions, TaskTags: true, TaskDefinitions: defs,
		Observe: func(ctx context.Context, cluster string, tasks []types.Task, instances []types.ContainerInstance) {
			tw.mu.Lock()
			tw.observed[cluster] = tasks
			tw.mu.Unlock()
			tw.sd.Observe(ctx, cluster, tasks, instances)
		},
	})
	tw.c.SetClock(clk.Now)
	return tw
}

// TestLeanDecoderChangesNothing runs every simulated world through two
// collectors, one decoding answers lean and one with the SDK's decoders
// only, cycle after cycle, and requires the same snapshot, the same
// service discovery targets, and the same tasks in every field read. A
// field that ecswatch starts to read and the lean decoder does not
// decode makes them differ wherever the simulator sets it.
func TestLeanDecoderChangesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		clusters []string
		build    func(t *testing.T, fake *sim.ECS)
		until    time.Duration
	}{
		{"shop scenario", []string{sim.ShopCluster}, func(_ *testing.T, fake *sim.ECS) {
			fake.AddScripted(sim.ShopCluster, sim.ShopScenario(start))
		}, time.Hour},
		{"deployment lab", []string{sim.DeployLabCluster}, func(_ *testing.T, fake *sim.ECS) {
			fake.AddScripted(sim.DeployLabCluster, sim.DeployLabScenario(start))
		}, 90 * time.Minute},
		{"why cluster", []string{sim.WhyCluster}, func(_ *testing.T, fake *sim.ECS) {
			sim.AddWhyScenario(fake, start)
		}, 10 * time.Minute},
		{"large cluster deploying", []string{"large"}, func(_ *testing.T, fake *sim.ECS) {
			c := sim.LargeCluster("large", 30, 4, start)
			sim.Deploying(c, 3, start)
			fake.AddCluster(c)
		}, 5 * time.Minute},
		{"service discovery world", []string{sim.DiscoveryCluster}, func(t *testing.T, fake *sim.ECS) {
			targets, err := sim.ServeDiscoveryTargets(nil)
			if err != nil {
				t.Skipf("cannot serve on 127.0.0.2-5: %v", err)
			}
			t.Cleanup(targets.Close)
			targets.Register(fake, start)
		}, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := testutil.NewClock(start)
			fake := sim.NewECS("eu-west-1", clk.Now)
			tc.build(t, fake)
			ecsSrv, ec2Srv := httptest.NewServer(fake), httptest.NewServer(sim.NewEC2API(fake))
			t.Cleanup(ecsSrv.Close)
			t.Cleanup(ec2Srv.Close)
			lean := newTwin(t, clk, ecsSrv.URL, ec2Srv.URL, true, tc.clusters...)
			full := newTwin(t, clk, ecsSrv.URL, ec2Srv.URL, false, tc.clusters...)
			for e := time.Duration(0); e <= tc.until; e += time.Minute {
				clk.Set(start.Add(e))
				for _, tw := range []*twin{lean, full} {
					if err := tw.c.Collect(t.Context()); err != nil {
						t.Fatalf("at %s: %v", e, err)
					}
				}
				if got, want := successfulCalls(lean.store.Snapshot()), successfulCalls(full.store.Snapshot()); !reflect.DeepEqual(got, want) {
					t.Fatalf("at %s: the snapshots differ:\nlean: %s\nSDK:  %s", e, dump(got), dump(want))
				}
				if got, want := lean.sd.Targets(), full.sd.Targets(); !reflect.DeepEqual(got, want) {
					t.Fatalf("at %s: the discovery targets differ:\nlean: %s\nSDK:  %s", e, dump(got), dump(want))
				}
				for _, cluster := range tc.clusters {
					var want []types.Task
					for _, task := range full.observed[cluster] {
						want = append(want, usedTaskFields(task))
					}
					if got := lean.observed[cluster]; !reflect.DeepEqual(got, want) {
						t.Fatalf("at %s: cluster %s's tasks differ:\nlean: %s\nSDK:  %s", e, cluster, dump(got), dump(want))
					}
				}
			}
			if len(lean.observed[tc.clusters[0]]) == 0 {
				t.Fatal("no task observed: nothing compared")
			}
		})
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// successfulCalls is s without its failed API call attempts: on a loaded
// machine a loopback connection is now and then reset under one twin's
// request and the attempt retried, which says nothing of the decoders.
func successfulCalls(s *collector.Snapshot) *collector.Snapshot {
	c := *s
	c.APICalls = slices.DeleteFunc(slices.Clone(s.APICalls), func(a collector.APICallCount) bool { return a.Outcome != ecsvocab.OutcomeSuccess })
	return &c
}
