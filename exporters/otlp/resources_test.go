package otlp

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
)

// recordingExporter keeps what it is asked to export.
type recordingExporter struct {
	sdkmetric.Exporter
	got []*metricdata.ResourceMetrics
}

func (r *recordingExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	r.got = append(r.got, rm)
	return nil
}

// containerBatch is one collection of a task of n containers: m gauges per
// container, each point marked with its container, and one task-level sum.
func containerBatch(n, m int) *metricdata.ResourceMetrics {
	var metrics []metricdata.Metrics
	for j := range m {
		var dps []metricdata.DataPoint[float64]
		for i := range n {
			dps = append(dps, metricdata.DataPoint[float64]{Value: float64(i), Attributes: attribute.NewSet(
				resourceAttr(attribute.String("container.name", fmt.Sprint("c", i))),
				resourceAttr(attribute.String("container.id", fmt.Sprint("id", i))),
				attribute.String("state", "RUNNING"),
			)})
		}
		metrics = append(metrics, metricdata.Metrics{Name: fmt.Sprint("m", j), Data: metricdata.Gauge[float64]{DataPoints: dps}})
	}
	metrics = append(metrics, metricdata.Metrics{Name: "task", Data: metricdata.Sum[float64]{
		Temporality: metricdata.CumulativeTemporality, IsMonotonic: true,
		DataPoints: []metricdata.DataPoint[float64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("network.interface.name", "eth1"))}},
	}})
	return &metricdata.ResourceMetrics{
		Resource:     resource.NewSchemaless(attribute.String("aws.ecs.task.id", "t")),
		ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: metrics}},
	}
}

// TestResourceSplitter: each container's points go out on a resource of
// their own, the task's attributes and the container's, with the marks
// gone from the points; unmarked points stay on the task's resource.
func TestResourceSplitter(t *testing.T) {
	rec := &recordingExporter{}
	if err := (resourceSplitter{rec}).Export(t.Context(), containerBatch(3, 2)); err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 4 {
		t.Fatalf("%d exports, want 3 containers and the task", len(rec.got))
	}
	for i, rm := range rec.got[:3] {
		res := rm.Resource.Set()
		if v, _ := res.Value("container.name"); v.AsString() != fmt.Sprint("c", i) {
			t.Errorf("export %d resource %v", i, res.ToSlice())
		}
		if v, _ := res.Value("aws.ecs.task.id"); v.AsString() != "t" {
			t.Errorf("export %d lost the task: %v", i, res.ToSlice())
		}
		ms := rm.ScopeMetrics[0].Metrics
		if len(ms) != 2 {
			t.Fatalf("export %d has %d metrics", i, len(ms))
		}
		for _, m := range ms {
			dps := m.Data.(metricdata.Gauge[float64]).DataPoints
			if len(dps) != 1 || dps[0].Attributes.Len() != 1 || dps[0].Value != float64(i) {
				t.Errorf("export %d %s points %+v", i, m.Name, dps)
			}
		}
	}
	task := rec.got[3]
	if _, ok := task.Resource.Set().Value("container.name"); ok {
		t.Errorf("task resource %v", task.Resource.Set().ToSlice())
	}
	if s := task.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[float64]); !s.IsMonotonic || len(s.DataPoints) != 1 {
		t.Errorf("task sum %+v", s)
	}
}

// BenchmarkResourceSplitter: the cost of regrouping one collection of a
// task of 10 containers and 20 container metrics (about what a sidecar
// exports) into 11 resources.
func BenchmarkResourceSplitter(b *testing.B) {
	rm := containerBatch(10, 20)
	s := resourceSplitter{&recordingExporter{}}
	b.ReportAllocs()
	for b.Loop() {
		s.Exporter.(*recordingExporter).got = nil
		_ = s.Export(context.Background(), rm)
	}
}

// TestExporterSelection: OTEL_METRICS_EXPORTER=none drops metrics before
// they leave; otlp or unset keeps them, and the logs follow their own
// variable.
func TestExporterSelection(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		sent bool
	}{
		{map[string]string{}, true},
		{map[string]string{"OTEL_METRICS_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_METRICS_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_LOGS_EXPORTER": "none"}, true},
	} {
		rec := &recordingExporter{}
		m, l := selectExporters(rec, nil, func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		if err := m.Export(t.Context(), containerBatch(1, 1)); err != nil {
			t.Fatal(err)
		}
		if sent := len(rec.got) > 0; sent != tc.sent {
			t.Errorf("%v: metrics sent %v, want %v", tc.env, sent, tc.sent)
		}
		if _, off := l.(discardLogs); off != (tc.env["OTEL_LOGS_EXPORTER"] == "none") {
			t.Errorf("%v: logs exporter %T", tc.env, l)
		}
	}
}
