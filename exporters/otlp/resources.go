package otlp

import (
	"context"
	"errors"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
)

// resourcePrefix marks a point attribute that belongs to the point's
// resource rather than to the point: a container's container.* attributes,
// which the semantic conventions (and the awsecscontainermetrics receiver)
// put on one resource per container. A MeterProvider has one resource, so
// the callback marks them and resourceSplitter moves them before export.
const resourcePrefix = "ecswatch.internal.resource."

// resourceAttr is a point attribute that resourceSplitter moves to the
// point's resource under key.
func resourceAttr(kv attribute.KeyValue) attribute.KeyValue {
	return attribute.KeyValue{Key: attribute.Key(resourcePrefix) + kv.Key, Value: kv.Value}
}

// resourceSplitter exports one ResourceMetrics per distinct set of marked
// attributes: the provider's resource plus those attributes, with the
// points that carried them. Points without marks stay on the provider's
// resource (the task's, in sidecar mode).
type resourceSplitter struct {
	sdkmetric.Exporter
}

type resourceGroup struct {
	attrs   []attribute.KeyValue
	scopes  []metricdata.ScopeMetrics
	byScope map[int]map[string]int // scope index in rm → metric name → index in scopes[i].Metrics
}

func (r resourceSplitter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	groups := map[attribute.Distinct]*resourceGroup{}
	var order []attribute.Distinct
	group := func(res []attribute.KeyValue) *resourceGroup {
		set := attribute.NewSet(res...)
		g, ok := groups[set.Equivalent()]
		if !ok {
			g = &resourceGroup{attrs: res, byScope: map[int]map[string]int{}}
			groups[set.Equivalent()] = g
			order = append(order, set.Equivalent())
		}
		return g
	}
	// metric returns g's copy of m (without points) in scope si.
	metric := func(g *resourceGroup, si int, sm *metricdata.ScopeMetrics, m *metricdata.Metrics) *metricdata.Metrics {
		idx, ok := g.byScope[si]
		if !ok {
			idx = map[string]int{}
			g.byScope[si] = idx
			g.scopes = append(g.scopes, metricdata.ScopeMetrics{Scope: sm.Scope})
			idx[""] = len(g.scopes) - 1 // where this scope sits in g.scopes
		}
		scope := &g.scopes[idx[""]]
		mi, ok := idx["m:"+m.Name]
		if !ok {
			c := metricdata.Metrics{Name: m.Name, Description: m.Description, Unit: m.Unit}
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				c.Data = metricdata.Sum[float64]{Temporality: d.Temporality, IsMonotonic: d.IsMonotonic}
			case metricdata.Gauge[float64]:
				c.Data = metricdata.Gauge[float64]{}
			default:
				c.Data = m.Data
			}
			scope.Metrics = append(scope.Metrics, c)
			mi = len(scope.Metrics) - 1
			idx["m:"+m.Name] = mi
		}
		return &scope.Metrics[mi]
	}
	for si := range rm.ScopeMetrics {
		sm := &rm.ScopeMetrics[si]
		for mi := range sm.Metrics {
			m := &sm.Metrics[mi]
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					res, pt := splitAttributes(dp.Attributes)
					dp.Attributes = pt
					c := metric(group(res), si, sm, m)
					s := c.Data.(metricdata.Sum[float64])
					s.DataPoints = append(s.DataPoints, dp)
					c.Data = s
				}
			case metricdata.Gauge[float64]:
				for _, dp := range d.DataPoints {
					res, pt := splitAttributes(dp.Attributes)
					dp.Attributes = pt
					c := metric(group(res), si, sm, m)
					g := c.Data.(metricdata.Gauge[float64])
					g.DataPoints = append(g.DataPoints, dp)
					c.Data = g
				}
			default:
				metric(group(nil), si, sm, m)
			}
		}
	}
	var errs []error
	for _, key := range order {
		g := groups[key]
		res := rm.Resource
		if len(g.attrs) > 0 {
			attrs := append(rm.Resource.Attributes(), g.attrs...)
			res = resource.NewWithAttributes(rm.Resource.SchemaURL(), attrs...)
		}
		if err := r.Exporter.Export(ctx, &metricdata.ResourceMetrics{Resource: res, ScopeMetrics: g.scopes}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// splitAttributes separates a point's marked resource attributes from its
// own.
func splitAttributes(set attribute.Set) (res []attribute.KeyValue, pt attribute.Set) {
	kvs := set.ToSlice()
	if !slices.ContainsFunc(kvs, func(kv attribute.KeyValue) bool { return strings.HasPrefix(string(kv.Key), resourcePrefix) }) {
		return nil, set
	}
	var own []attribute.KeyValue
	for _, kv := range kvs {
		if k, ok := strings.CutPrefix(string(kv.Key), resourcePrefix); ok {
			res = append(res, attribute.KeyValue{Key: attribute.Key(k), Value: kv.Value})
		} else {
			own = append(own, kv)
		}
	}
	return res, attribute.NewSet(own...)
}
