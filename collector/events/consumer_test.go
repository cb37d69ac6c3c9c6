package events

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/awsapi"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

const queue = "ecs-events"

type bench struct {
	fake *sim.SQS
	url  string
	base string
}

// newQueue serves a fake SQS with the events queue (visibility 1s) and a
// dead-letter queue taking messages received three times.
func newQueue(t testing.TB) *bench {
	t.Helper()
	fake := sim.NewSQS()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	url := fake.CreateQueue(srv.URL, queue, time.Second)
	fake.CreateQueue(srv.URL, queue+"-dlq", time.Minute)
	fake.SetRedrive(queue, queue+"-dlq", 3)
	return &bench{fake: fake, url: url, base: srv.URL}
}

// consumer returns a Consumer with its own Store, as one replica would have,
// reached through the real SDK client.
func (b *bench) consumer(t testing.TB, logger *slog.Logger) (*Consumer, *collector.Store) {
	t.Helper()
	store := collector.NewStore(nil)
	cfg, err := awsapi.LoadConfig(t.Context(), awsapi.Simulator(b.base, "us-west-2"), store)
	if err != nil {
		t.Fatal(err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return New(sqs.NewFromConfig(cfg), store, logger, Options{QueueURL: b.url, WaitTime: time.Second}), store
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b := testutil.ReadFile(t, "testdata/"+name+".json")
	return string(b)
}

func total(s *collector.Store, kind collector.EventKind) uint64 {
	var n uint64
	for _, e := range s.Snapshot().Events {
		if e.Kind == kind {
			n += e.Count
		}
	}
	return n
}

func received(s *collector.Store, label string) uint64 {
	for _, c := range s.Snapshot().Counts {
		if c.Name == ReceivedMetric && c.Label == label {
			return c.Count
		}
	}
	return 0
}

// drain runs c until the queue holds no message or timeout passes.
func (b *bench) drain(t testing.TB, c *Consumer, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for b.fake.Depth(queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("queue still holds %d messages", b.fake.Depth(queue))
		}
		if err := c.Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEachEventType applies one message of every fixture and checks what
// each changed, and that all were deleted.
func TestEachEventType(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	c, store := b.consumer(t, nil)
	for _, name := range []string{"task_stopped_oom", "task_running", "deployment_failed", "deployment_completed",
		"placement_failure_memory", "placement_failure_fargate_old_arn", "steady_state", "container_instance", "sns_task_stopped_oom"} {
		b.fake.Send(queue, fixture(t, name))
	}
	b.drain(t, c, 10*time.Second)

	want := map[collector.EventKind]uint64{
		collector.EventOOMKill: 1, collector.EventTaskStopped: 1, // the SNS copy is the same task
		collector.EventDeploymentFailed: 1, collector.EventDeploymentState: 1, collector.EventPlacementFailure: 2,
	}
	for kind, n := range want {
		if got := total(store, kind); got != n {
			t.Errorf("%s = %d, want %d", kind, got, n)
		}
	}
	for label, n := range map[string]uint64{TaskStateChange: 3, DeploymentStateChange: 2, ServiceAction: 3, "ECS Container Instance State Change": 1} {
		if got := received(store, label); got != n {
			t.Errorf("received %q = %d, want %d", label, got, n)
		}
	}
	oom := collector.EventCount{Identity: &collector.Identity{}}
	for _, e := range store.Snapshot().Events {
		if e.Kind == collector.EventOOMKill {
			oom = e
		}
	}
	if oom.Container != "app" || (*oom.Identity != collector.Identity{Cluster: "prod", Service: "api", Family: "api"}) {
		t.Errorf("OOM counted as %+v", oom)
	}
}

// TestDuplicateDelivery: the same event delivered twice, and an OOM already
// seen by polling, change nothing.
func TestDuplicateDelivery(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	c, store := b.consumer(t, nil)
	// The polling collector saw the kill first.
	code := 137
	store.Record(rules.StoppedTask(rules.StoppedTaskInfo{
		ARN: "arn:aws:ecs:us-west-2:111122223333:task/prod/5c3a9e1f0b2d4c6e8a0b1c2d3e4f5a6b", Cluster: "prod", Service: "api", Family: "api",
		StopCode: "EssentialContainerExited", Containers: []rules.StoppedContainer{{Name: "app", ExitCode: &code, Reason: "OutOfMemoryError: Container killed due to memory usage"}},
	})...)
	for range 2 {
		b.fake.Send(queue, fixture(t, "task_stopped_oom"))
		b.fake.Send(queue, fixture(t, "deployment_failed"))
	}
	b.drain(t, c, 10*time.Second)
	if n := total(store, collector.EventOOMKill); n != 1 {
		t.Errorf("OOM kills = %d, want 1", n)
	}
	if n := total(store, collector.EventDeploymentFailed); n != 1 {
		t.Errorf("deployment failures = %d, want 1", n)
	}
	if n := received(store, TaskStateChange); n != 2 {
		t.Errorf("received = %d, want 2 deliveries", n)
	}
}

// TestRedeliveryAfterCrash: a replica that applies a batch and dies before
// deleting loses nothing: the messages come back after the visibility
// timeout and the next replica applies them.
func TestRedeliveryAfterCrash(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	crashing, lost := b.consumer(t, nil)
	crashing.skipDelete = true
	b.fake.Send(queue, fixture(t, "task_stopped_oom"))
	b.fake.Send(queue, fixture(t, "deployment_failed"))
	if err := crashing.Collect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if total(lost, collector.EventOOMKill) != 1 || b.fake.Depth(queue) != 2 {
		t.Fatalf("setup: the crashing replica should have applied both and deleted none (depth %d)", b.fake.Depth(queue))
	}

	next, store := b.consumer(t, nil)
	b.drain(t, next, 10*time.Second)
	if total(store, collector.EventOOMKill) != 1 || total(store, collector.EventDeploymentFailed) != 1 {
		t.Errorf("the next replica did not apply the redelivered events: %+v", store.Snapshot().Events)
	}
}

// TestTwoConsumersShareAQueue: with two replicas on one queue, every event
// is applied exactly once in total.
func TestTwoConsumersShareAQueue(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	const n = 200
	for i := range n {
		body := strings.ReplaceAll(fixture(t, "task_stopped_oom"), "5c3a9e1f0b2d4c6e8a0b1c2d3e4f5a6b", fmt.Sprintf("%032x", i))
		b.fake.Send(queue, strings.Replace(body, "7f1e2d3c-0001-4000-8000-000000000001", fmt.Sprintf("7f1e2d3c-0001-4000-8000-%012d", i), 1))
	}
	var wg sync.WaitGroup
	stores := make([]*collector.Store, 2)
	for i := range stores {
		c, store := b.consumer(t, nil)
		stores[i] = store
		wg.Go(func() {
			for b.fake.Depth(queue) > 0 {
				if err := c.Collect(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	a, c := total(stores[0], collector.EventOOMKill), total(stores[1], collector.EventOOMKill)
	if a+c != n {
		t.Errorf("applied %d + %d = %d, want %d", a, c, a+c, n)
	}
	if a == 0 || c == 0 {
		t.Logf("one replica took everything (%d, %d); allowed, but the split was not exercised", a, c)
	}
}

// TestPoisonMessage: an unreadable message is counted, logged once, never
// deleted, and moved to the DLQ by the redrive policy; the rest flows.
func TestPoisonMessage(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	logs := &testutil.Logs{}
	c, store := b.consumer(t, logs.Logger())
	b.fake.Send(queue, `{"version":"0","id":"x","detail-type":"ECS Task`)
	b.fake.Send(queue, fixture(t, "task_stopped_oom"))
	b.drain(t, c, 15*time.Second)

	if d := b.fake.Depth(queue + "-dlq"); d != 1 {
		t.Errorf("dead-letter queue holds %d messages, want 1", d)
	}
	if n := received(store, Invalid); n != 3 {
		t.Errorf("invalid = %d, want 3 (one per receive before redrive)", n)
	}
	if n := logs.Count("invalid message left for the dead-letter queue"); n != 1 {
		t.Errorf("logged the poison message %d times, want once", n)
	}
	if strings.Contains(logs.String(), "ECS Task") {
		t.Error("the message body was logged")
	}
	if total(store, collector.EventOOMKill) != 1 {
		t.Error("the valid message was not applied")
	}
}

// TestSQSDownAndBack: while SQS fails the consumer is down, with backoff;
// when it is back, what was queued meanwhile is applied.
func TestSQSDownAndBack(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	c, store := b.consumer(t, nil)
	sched := collector.NewScheduler(store, slog.New(slog.DiscardHandler),
		collector.Job{Collector: c, Interval: 10 * time.Millisecond, Timeout: 5 * time.Second, MaxBackoff: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	up := func() bool {
		i := slices.IndexFunc(store.Snapshot().Collectors, func(h collector.CollectorHealth) bool { return h.Name == Name })
		return i >= 0 && store.Snapshot().Collectors[i].Up
	}
	wait := func(what string, cond func() bool) {
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("consumer up", up)
	b.fake.SetDown(true)
	wait("consumer down", func() bool { return !up() })
	b.fake.Send(queue, fixture(t, "task_stopped_oom"))
	time.Sleep(200 * time.Millisecond)
	if total(store, collector.EventOOMKill) != 0 {
		t.Fatal("applied while SQS was down")
	}
	b.fake.SetDown(false)
	wait("recovery and the queued event applied", func() bool { return up() && total(store, collector.EventOOMKill) == 1 })
}

// TestLabelValuesFromMessagesAreBounded: fifty distinct detail-types and
// fifty distinct stop codes arrive; the counters keep the documented label
// values and fold the rest into one.
func TestLabelValuesFromMessagesAreBounded(t *testing.T) {
	t.Parallel()
	b := newQueue(t)
	c, store := b.consumer(t, nil)
	oom := fixture(t, "task_stopped_oom")
	for i := range 50 {
		b.fake.Send(queue, strings.Replace(oom, `"ECS Task State Change"`, fmt.Sprintf(`"ECS Made Up Change %d"`, i), 1))
		body := strings.Replace(oom, `"EssentialContainerExited"`, fmt.Sprintf(`"MadeUpStop%d"`, i), 1)
		body = strings.ReplaceAll(body, `"id": "`, fmt.Sprintf(`"id": "%d-`, i))
		body = strings.ReplaceAll(body, "/prod/5c3a", fmt.Sprintf("/prod/%02d3a", i))
		b.fake.Send(queue, body)
	}
	for b.fake.Depth(queue) > 0 {
		if err := c.Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	types, codes := map[string]bool{}, map[string]uint64{}
	for _, n := range store.Snapshot().Counts {
		if n.Name == ReceivedMetric {
			types[n.Label] = true
		}
	}
	for _, e := range store.Snapshot().Events {
		if e.Kind == collector.EventTaskStopped {
			codes[e.Label] += e.Count
		}
	}
	if len(types) != 2 || !types[ecsvocab.DetailTypeOther] || !types[TaskStateChange] {
		t.Errorf("detail-type labels = %v, want %q and %q", types, TaskStateChange, ecsvocab.DetailTypeOther)
	}
	if len(codes) != 1 || codes[ecsvocab.StopCodeOther] != 50 {
		t.Errorf("stop codes = %v, want 50 under %q", codes, ecsvocab.StopCodeOther)
	}
}
