package taskdefs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// fakeAPI counts calls per task definition; release, when set, holds every
// call until closed, and failing names fail.
type fakeAPI struct {
	mu      sync.Mutex
	calls   map[string]int
	release chan struct{}
	failing map[string]bool
	total   atomic.Int32
}

func (f *fakeAPI) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.total.Add(1)
	name := aws.ToString(in.TaskDefinition)
	f.mu.Lock()
	f.calls[name]++
	fail := f.failing[name]
	f.mu.Unlock()
	if f.release != nil {
		<-f.release
	}
	if fail {
		return nil, errors.New("throttled")
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(name)}}, nil
}

// TestHeadroomAndDiscoveryShareOneCall: two users asking at once for the
// same revision, one by ARN and one by family:revision, cost one call.
func TestHeadroomAndDiscoveryShareOneCall(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{calls: map[string]int{}, release: make(chan struct{})}
	c := New(api, 0, 2)
	arn := "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3"
	var wg sync.WaitGroup
	results := make([]map[string]*types.TaskDefinition, 2)
	get := func(i int, name string) {
		wg.Go(func() { results[i], _ = c.Get(t.Context(), []string{name}) })
	}
	get(0, arn)
	for api.total.Load() == 0 { // the first Get is describing
		time.Sleep(time.Millisecond)
	}
	get(1, "web:3") // finds it in flight, or already known
	close(api.release)
	wg.Wait()
	if n := api.total.Load(); n != 1 {
		t.Errorf("%d calls for one revision, want 1", n)
	}
	for i, r := range results {
		if r["web:3"] == nil {
			t.Errorf("user %d did not get web:3: %v", i, r)
		}
	}
	if _, err := c.Get(t.Context(), []string{"web:3"}); err != nil || api.total.Load() != 1 {
		t.Errorf("a known revision was described again (%d calls, %v)", api.total.Load(), err)
	}
}

// TestFailedDescribeIsRetried: a revision that cannot be described is left
// out, said in the error, and asked again by the next Get.
func TestFailedDescribeIsRetried(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{calls: map[string]int{}, failing: map[string]bool{"api:1": true}}
	c := New(api, 0, 0)
	got, err := c.Get(t.Context(), []string{"api:1", "web:3"})
	if err == nil || got["api:1"] != nil || got["web:3"] == nil {
		t.Fatalf("Get = %v, %v; want web:3 and an error for api:1", got, err)
	}
	api.mu.Lock()
	api.failing = nil
	api.mu.Unlock()
	if got, err := c.Get(t.Context(), []string{"api:1"}); err != nil || got["api:1"] == nil || api.calls["api:1"] != 2 {
		t.Errorf("retry: %v, %v, %d calls", got, err, api.calls["api:1"])
	}
}

// TestSweepKeepsWhatIsInUse: a revision asked for since the last sweep
// stays; one nobody asked for is forgotten, and described again if it comes
// back.
func TestSweepKeepsWhatIsInUse(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{calls: map[string]int{}}
	c := New(api, 0, 0)
	_, _ = c.Get(t.Context(), []string{"old:1", "new:2"})
	c.Sweep()
	_, _ = c.Get(t.Context(), []string{"new:2"}) // the next cycle uses only new:2
	c.Sweep()
	_, _ = c.Get(t.Context(), []string{"old:1", "new:2"})
	if api.calls["old:1"] != 2 || api.calls["new:2"] != 1 {
		t.Errorf("calls = %v, want old:1 described again after it was swept, new:2 once", api.calls)
	}
}
