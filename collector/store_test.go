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
	s.SetInsights([]InsightsSample{
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
