package ecssd

import (
	"context"
	"log/slog"
	"maps"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/ecsapi"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
)

// largeWorld is the standalone collector with service discovery on, over a
// simulated cluster of 1,000 services, 1,000 task definitions and 10,000
// running tasks, every task a target.
type largeWorld struct {
	fakeECS *sim.ECS
	fakeEC2 *sim.EC2API
	c       *ecsapi.Collector
	d       *Discovery
	defs    int
	bridge  int // instances bridge mode tasks run on

	tasks     []types.Task // as last observed
	instances []types.ContainerInstance
}

func newLargeWorld(b *testing.B, sd bool) *largeWorld {
	b.Helper()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fakeECS := sim.NewECS("eu-west-1", func() time.Time { return start })
	cluster, defs := sim.LargeDiscoveryCluster("large", 1000, 10, start)
	fakeECS.AddCluster(cluster)
	for _, td := range defs {
		fakeECS.RegisterTaskDefinition(td)
	}
	fakeEC2 := sim.NewEC2API(fakeECS)
	ecsSrv, ec2Srv := httptest.NewServer(fakeECS), httptest.NewServer(fakeEC2)
	b.Cleanup(ecsSrv.Close)
	b.Cleanup(ec2Srv.Close)
	store := collector.NewStore(nil)
	cfg, err := awsapi.LoadConfig(context.Background(), awsapi.Simulator(ecsSrv.URL, "eu-west-1"), store)
	if err != nil {
		b.Fatal(err)
	}
	w := &largeWorld{fakeECS: fakeECS, fakeEC2: fakeEC2, defs: len(defs)}
	bridgeHosts := map[string]bool{}
	for _, t := range cluster.Tasks {
		if t.ContainerInstance != "" && t.DesiredStatus == "RUNNING" {
			bridgeHosts[t.ContainerInstance] = true
		}
	}
	w.bridge = len(bridgeHosts)
	client := ecs.NewFromConfig(cfg)
	opts := ecsapi.Options{Clusters: []string{"large"}, CallTimeout: 10 * time.Second}
	if sd {
		ec2Client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(ec2Srv.URL) })
		w.d = New(taskdefs.New(client, 10*time.Second, 0), ec2Client, store, slog.New(slog.DiscardHandler), Options{SidecarNames: []string{"ecswatch"}, SidecarPort: 9787, CallTimeout: 10 * time.Second})
		opts.TaskTags = true
		opts.Observe = func(ctx context.Context, cluster string, tasks []types.Task, instances []types.ContainerInstance) {
			w.tasks, w.instances = tasks, instances
			w.d.Observe(ctx, cluster, tasks, instances)
		}
	}
	w.c = ecsapi.New(client, store, slog.New(slog.DiscardHandler), opts)
	w.c.SetClock(func() time.Time { return start })
	return w
}

func (w *largeWorld) cycle(b *testing.B) (ecsCalls, ec2Calls map[string]int) {
	b.Helper()
	w.fakeECS.ResetCalls()
	before := w.fakeEC2.Calls()
	if err := w.c.Collect(context.Background()); err != nil {
		b.Fatal(err)
	}
	after := w.fakeEC2.Calls()
	ec2Calls = map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			ec2Calls[k] = d
		}
	}
	return w.fakeECS.Calls(), ec2Calls
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// BenchmarkDiscoveryAPICalls reports the API calls of a collection cycle
// with service discovery on, over 10,000 running tasks of 1,000 task
// definitions (every tenth service in bridge mode on the cluster's
// instances): the first cycle describes each task definition once and each
// bridge host's EC2 instance once (batches of 100); later cycles make
// exactly the calls of the standalone collector without discovery.
func BenchmarkDiscoveryAPICalls(b *testing.B) {
	off := newLargeWorld(b, false)
	off.cycle(b)
	baseline, _ := off.cycle(b)

	for b.Loop() {
		b.StopTimer()
		w := newLargeWorld(b, true)
		b.StartTimer()
		first, firstEC2 := w.cycle(b)
		steady, steadyEC2 := w.cycle(b)
		b.StopTimer()
		if first["DescribeTaskDefinition"] != w.defs {
			b.Fatalf("first cycle: %d DescribeTaskDefinition, want %d (one per task definition)", first["DescribeTaskDefinition"], w.defs)
		}
		if want := (w.bridge + 99) / 100; firstEC2["DescribeInstances"] != want {
			b.Fatalf("first cycle: %d DescribeInstances, want %d (%d instances in batches of 100)", firstEC2["DescribeInstances"], want, w.bridge)
		}
		if !maps.Equal(steady, baseline) || len(steadyEC2) != 0 {
			b.Fatalf("steady cycle with discovery %v %v, without %v", steady, steadyEC2, baseline)
		}
		if n := len(w.d.Targets()); n != 10000 {
			b.Fatalf("%d targets, want 10000", n)
		}
		b.ReportMetric(float64(sum(first)+sum(firstEC2)), "calls/first_cycle")
		b.ReportMetric(float64(first["DescribeTaskDefinition"]), "describe_task_definition/first_cycle")
		b.ReportMetric(float64(firstEC2["DescribeInstances"]), "describe_instances/first_cycle")
		b.ReportMetric(float64(sum(steady)+sum(steadyEC2)), "calls/steady_cycle")
		b.ReportMetric(float64(sum(baseline)), "calls/cycle_without_sd")
		b.StartTimer()
	}
}

// BenchmarkDiscoveryAnswer measures the HTTP SD answer for 10,000 targets,
// each rendered once when its cluster is read and written out per request:
// the whole answer and filtered ones, with their sizes.
func BenchmarkDiscoveryAnswer(b *testing.B) {
	w := newLargeWorld(b, true)
	w.cycle(b)
	for _, bc := range []struct {
		name, query string
		gzip        bool
	}{
		{"all", "", false},
		{"all_gzip", "", true},
		{"one_service", "?service=svc-0042", false},
		{"exporters", "?role=exporter", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var size int
			req := httptest.NewRequest("GET", "/sd/ecs"+bc.query, nil)
			if bc.gzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			for b.Loop() {
				rec := httptest.NewRecorder()
				w.d.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// BenchmarkDiscoveryObserve is the work discovery adds to a cycle once
// every task definition and instance is known: 10,000 tasks to targets,
// sorted and rendered.
func BenchmarkDiscoveryObserve(b *testing.B) {
	w := newLargeWorld(b, true)
	w.cycle(b)
	for b.Loop() {
		w.d.Observe(context.Background(), "large", w.tasks, w.instances)
	}
}
