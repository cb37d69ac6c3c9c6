package collector

import (
	"slices"
	"testing"
)

// TestInsightsFor: the Store orders samples by metric, keeping the order
// within a metric, so that exporters can take one metric's samples at once.
func TestInsightsFor(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	s.SetInsights("insights", []InsightsSample{
		{Metric: "MemoryUtilized", Container: "a"},
		{Metric: "CpuUtilized", Container: "a"},
		{Metric: "MemoryUtilized", Container: "b"},
		{Metric: "CpuUtilized", Container: "b"},
		{Metric: "RunningTaskCount"},
	})
	snap := s.Snapshot()
	for _, tc := range []struct {
		metric string
		want   []string // containers, in order
	}{
		{"CpuUtilized", []string{"a", "b"}},
		{"MemoryUtilized", []string{"a", "b"}},
		{"RunningTaskCount", []string{""}},
		{"AAA", nil},
		{"NetworkRxBytes", nil},
		{"ZZZ", nil},
	} {
		var got []string
		for _, in := range snap.InsightsFor(tc.metric) {
			if in.Metric != tc.metric {
				t.Errorf("InsightsFor(%s) returned a %s sample", tc.metric, in.Metric)
			}
			got = append(got, in.Container)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("InsightsFor(%s) = %q, want %q", tc.metric, got, tc.want)
		}
	}
	if (&Snapshot{}).InsightsFor("CpuUtilized") != nil {
		t.Error("an empty snapshot has samples")
	}
}

// TestCountByLabel: a batch of counts is added in one publish, and an empty
// batch publishes nothing.
func TestCountByLabel(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	s.Count("ecswatch_events_received_total", "a", 1)
	before := s.Snapshot()
	s.CountByLabel("ecswatch_events_received_total", map[string]uint64{"a": 2, "b": 3})
	got := s.Snapshot().Counts
	want := []DaemonCount{{Name: "ecswatch_events_received_total", Label: "a", Count: 3}, {Name: "ecswatch_events_received_total", Label: "b", Count: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
	after := s.Snapshot()
	if after == before {
		t.Error("nothing published")
	}
	s.CountByLabel("ecswatch_events_received_total", nil)
	if s.Snapshot() != after {
		t.Error("an empty batch published a snapshot")
	}
}

// TestSecondSourceEnrichesAService: two sources reading the same service
// make one service in the snapshot, with what each knows, so that its
// series are not exported twice.
func TestSecondSourceEnrichesAService(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	s.SetServices("ecsapi", []*Service{{Cluster: "shop", Name: "api", Desired: 4, Running: 3}, {Cluster: "shop", Name: "web", Desired: 1}})
	s.SetServices("taskmeta-services", []*Service{{Cluster: "shop", Name: "api", TaskContainers: []TaskContainer{{Family: "api", Name: "app"}}, Running: 4}})
	got := s.Snapshot().Services
	if len(got) != 2 || got[0].Name != "api" || got[1].Name != "web" {
		t.Fatalf("services = %+v, want api and web once each", got)
	}
	api := got[0]
	if api.Desired != 4 || api.Running != 4 || len(api.TaskContainers) != 1 {
		t.Errorf("merged api = %+v: want desired from the first source, running and containers from the second", api)
	}
	// The Store's own copies are untouched: the next merge starts afresh.
	s.SetServices("taskmeta-services", nil)
	if api := s.Snapshot().Services[0]; api.Running != 3 || len(api.TaskContainers) != 0 {
		t.Errorf("after the second source left, api = %+v", api)
	}
}

func TestImageReference(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string][3]string{
		"public.ecr.aws/acme/storefront:1.42.0":          {"public.ecr.aws/acme/storefront", "1.42.0", ""},
		"registry:5000/team/app":                         {"registry:5000/team/app", "", ""},
		"alpine@sha256:abc":                              {"alpine", "", "sha256:abc"},
		"111122223333.dkr.ecr.us-east-1.amazonaws.com/a": {"111122223333.dkr.ecr.us-east-1.amazonaws.com/a", "", ""},
		"repo:tag@sha256:def":                            {"repo", "tag", "sha256:def"},
	} {
		name, tag, digest := ImageReference(ref)
		if got := [3]string{name, tag, digest}; got != want {
			t.Errorf("ImageReference(%q) = %q, want %q", ref, got, want)
		}
	}
}

// TestApplyIsOnePublish: a source's whole contribution (its data, events,
// counts) appears in one snapshot; a nil kind leaves the source's data as it
// was, an empty one clears it; and the source goes stale as a whole.
func TestApplyIsOnePublish(t *testing.T) {
	t.Parallel()
	s := NewStore(nil)
	before := s.Snapshot()
	ev := Event{Kind: EventOOMKill, ID: "t1/app", Identity: Identity{Cluster: "c", Service: "api", Family: "api"}, Container: "app"}
	fresh, at := s.Apply("src", Contribution{
		Services: []*Service{{Cluster: "c", Name: "api"}},
		Insights: []InsightsSample{{Metric: "CpuUtilized", Value: 1}},
		Events:   []Event{ev, ev},
		Counts:   map[string]map[string]uint64{"ecswatch_events_received_total": {"ECS Task State Change": 1}},
	})
	snap := s.Snapshot()
	if len(fresh) != 1 || !at.Equal(snap.Time) || snap == before {
		t.Fatalf("fresh %v at %v, snapshot at %v", fresh, at, snap.Time)
	}
	if len(snap.Services) != 1 || len(snap.Insights) != 1 || len(snap.Counts) != 1 {
		t.Errorf("one publish holds %d services, %d insights, %d counts", len(snap.Services), len(snap.Insights), len(snap.Counts))
	}
	s.Apply("src", Contribution{Insights: []InsightsSample{}})
	if snap := s.Snapshot(); len(snap.Services) != 1 || len(snap.Insights) != 0 {
		t.Errorf("an empty kind must clear only itself: %d services, %d insights", len(snap.Services), len(snap.Insights))
	}
	s.Apply("src", Contribution{Insights: []InsightsSample{{Metric: "CpuUtilized"}}})
	s.DropSource("src")
	if snap := s.Snapshot(); len(snap.Services) != 0 || len(snap.Insights) != 0 {
		t.Errorf("a stale source keeps %d services and %d insights", len(snap.Services), len(snap.Insights))
	}
}
