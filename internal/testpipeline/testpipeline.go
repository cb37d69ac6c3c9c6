// Package testpipeline runs ecswatch's collectors against the simulated ECS on a
// fake clock, so that tests of exporters can take the demo scenario's
// snapshots at exact points of its timeline.
package testpipeline

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/ecsapi"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/collector/taskmeta"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// Start is the fixed start of the scenario timeline.
var Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// Pipeline is the sidecar (Fargate task) and standalone (shop-prod cluster)
// collectors over the simulators, with one Store and one fake clock.
type Pipeline struct {
	Store *collector.Store

	mu         sync.Mutex
	now        time.Time
	collectors []collector.Collector
	servers    []*httptest.Server
}

// New starts the simulators and collectors at Start: the sidecar, and the
// standalone collector too when standalone is set. Close it when done.
func New(ctx context.Context, standalone bool) (*Pipeline, error) {
	return NewVariant(ctx, sim.Fargate, standalone)
}

// NewVariant is New with the sidecar's task on the platform v: the demo's
// Fargate task or its EC2 (bridge mode, cgroup v2) twin.
func NewVariant(ctx context.Context, v sim.Variant, standalone bool) (*Pipeline, error) {
	p := &Pipeline{now: Start}
	p.Store = collector.NewStore(p.clock)
	logger := slog.New(slog.DiscardHandler)

	meta := httptest.NewServer(sim.NewTaskSim(v, p.clock).Handler())
	fakeECS := sim.NewECS("eu-west-1", p.clock)
	fakeECS.AddScripted(sim.ShopCluster, sim.ShopScenario(Start))
	sim.AddWhyScenario(fakeECS, Start)
	api := httptest.NewServer(fakeECS)
	p.servers = []*httptest.Server{meta, api}

	cfg, err := awsapi.LoadConfig(ctx, awsapi.Simulator(api.URL, "eu-west-1"), p.Store)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.collectors = []collector.Collector{taskmeta.New(taskmeta.Name, taskmeta.NewClient(meta.URL, 5*time.Second), p.Store, logger)}
	if standalone {
		c := ecsapi.New(ecs.NewFromConfig(cfg), p.Store, logger, ecsapi.Options{
			Clusters: []string{sim.ShopCluster, sim.WhyCluster}, CallTimeout: 5 * time.Second, Health: rules.DefaultOptions,
		})
		c.SetClock(p.clock)
		p.collectors = append(p.collectors, c)
	}
	return p, nil
}

func (p *Pipeline) clock() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// At sets the clock to at after Start and runs every collector once.
func (p *Pipeline) At(ctx context.Context, at time.Duration) error {
	p.mu.Lock()
	p.now = Start.Add(at)
	p.mu.Unlock()
	for _, c := range p.collectors {
		if err := c.Collect(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the simulators.
func (p *Pipeline) Close() {
	for _, s := range p.servers {
		s.Close()
	}
}
