package catalog

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testpipeline"
)

var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// TestEveryFamilyIsOneConsistentContract: each family's kind, unit and
// backend columns agree with one another and with its Prometheus name, so
// that a family cannot be a counter in Prometheus and a gauge in Datadog, or
// bytes in its name and seconds in OTLP; and each says how stable it is.
func TestEveryFamilyIsOneConsistentContract(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	otlpNames := map[string]*Family{}
	for _, f := range Families() {
		if seen[f.Name] {
			t.Errorf("%s: defined twice", f.Name)
		}
		seen[f.Name] = true
		if f.Help == "" || strings.Contains(f.Help, `"`) {
			t.Errorf("%s: help empty or quoting (the text format's HELP cannot escape quotes in OpenMetrics)", f.Name)
		}
		if !slices.Contains([]StabilityLevel{Stable, Experimental, Deprecated}, f.Stability.Level) || !semver.MatchString(f.Stability.Since) {
			t.Errorf("%s: stability %+v is not a level since a version", f.Name, f.Stability)
		}
		switch f.Kind {
		case Info:
			if !strings.HasSuffix(f.Name, "_info") || f.Datadog.Type != DatadogTags || f.OTLP.Instrument != InstrumentAttributes || f.Unit != "" {
				t.Errorf("%s: an info family is named _info, tags in Datadog, attributes in OTLP, and has no unit", f.Name)
			}
			continue
		case Counter:
			if !strings.HasSuffix(f.Name, "_total") || f.Datadog.Type != DatadogCount || f.OTLP.Instrument != InstrumentCounter {
				t.Errorf("%s: a counter ends in _total, is a count in Datadog and a counter in OTLP (%s, %s)", f.Name, f.Datadog.Type, f.OTLP.Instrument)
			}
		case Gauge:
			if strings.HasSuffix(f.Name, "_total") || f.Datadog.Type != DatadogGauge ||
				(f.OTLP.Instrument != InstrumentGauge && f.OTLP.Instrument != InstrumentUpDownCounter) {
				t.Errorf("%s: a gauge is a gauge in Datadog and a gauge or up-down counter in OTLP (%s, %s)", f.Name, f.Datadog.Type, f.OTLP.Instrument)
			}
		}
		if f.Datadog.Name == "" || f.OTLP.Name == "" {
			t.Errorf("%s: no Datadog or OTLP name", f.Name)
		}
		base := strings.TrimSuffix(f.Name, "_total")
		for suffix, unit := range map[string]string{"_bytes": "By", "_seconds": "s", "_vcpus": "{cpu}"} {
			if strings.HasSuffix(base, suffix) != (f.Unit == unit) {
				t.Errorf("%s: unit %q disagrees with the name's suffix (%s is %q)", f.Name, f.Unit, suffix, unit)
			}
		}
		if f.Unit == "" || strings.ContainsAny(f.Unit, " ") {
			t.Errorf("%s: unit %q is not UCUM", f.Name, f.Unit)
		}
		// One OTLP name may gather several families (a direction
		// attribute apart), of one instrument and unit.
		if o := otlpNames[f.OTLP.Name]; o != nil && (o.OTLP.Instrument != f.OTLP.Instrument || o.Unit != f.Unit || len(f.OTLP.Attrs) == 0) {
			t.Errorf("%s and %s share OTLP name %s without agreeing", o.Name, f.Name, f.OTLP.Name)
		}
		otlpNames[f.OTLP.Name] = f
	}
}

// TestEmittedLabelValuesAreDeclared runs the demo scenario through the real
// collectors and holds every value of an enumerated label to the family's
// declared set: a collector cannot grow a label the catalogue bounds.
func TestEmittedLabelValuesAreDeclared(t *testing.T) {
	t.Parallel()
	p, err := testpipeline.New(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	seen := map[string]bool{}
	for _, at := range []time.Duration{0, 25 * time.Second, 2 * time.Minute, 5 * time.Minute} {
		if err := p.At(t.Context(), at); err != nil {
			t.Fatal(err)
		}
		Walk(p.Store.Snapshot(), func(smp *Sample) {
			f, labels := smp.Family, smp.Labels
			for i, l := range f.Labels {
				allowed, ok := f.Values[l]
				if !ok || i >= len(labels) {
					continue
				}
				seen[f.Name+"/"+l] = true
				if !slices.Contains(allowed, labels[i]) {
					t.Errorf("%s{%s=%q}: not among the declared values %q", f.Name, l, labels[i], allowed)
				}
			}
		})
	}
	for _, want := range []string{"ecs_container_state/state", "ecs_service_deployment_stuck/reason", "ecs_task_stopped_total/stop_code", "ecs_container_oom_kills_total/source",
		"ecs_task_stopped_reason_total/reason", "ecs_service_crash_loop/reason", "ecs_service_deploy_headroom_state/state", "ecs_service_tasks_by_health/health_status",
		"ecs_cluster_container_instances/status"} {
		if !seen[want] {
			t.Errorf("the demo never emitted %s: the check above proved nothing for it", want)
		}
	}
}

// TestExportersKnowNoCollector: the exporters import the model, the
// catalogue and the vocabulary, never a collector of a source (README,
// "Development"): `go list -deps ./exporters/...` names none.
func TestExportersKnowNoCollector(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "./exporters/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(pkg, "github.com/ecswatch/ecswatch/collector/"); ok {
			t.Errorf("an exporter depends on collector/%s", rest)
		}
	}
}

// TestNamingModesNameRealFamilies: the Datadog Agent and ADOT receiver
// columns are tables keyed by family name; a key that names no family (a
// typo, a renamed family) would silently send nothing.
func TestNamingModesNameRealFamilies(t *testing.T) {
	known := map[string]*Family{}
	for _, f := range Families() {
		known[f.Name] = f
	}
	for name, checks := range DatadogAgent {
		f := known[name]
		if f == nil {
			t.Errorf("DatadogAgent: %s is no family", name)
			continue
		}
		for check, m := range checks {
			if m.Name == "" || (m.Type != DatadogGauge && m.Type != DatadogCount) {
				t.Errorf("DatadogAgent[%s][%s] = %+v: want a name and a gauge or count type", name, check, m)
			}
			if m.Type == DatadogCount && f.Kind != Counter {
				t.Errorf("DatadogAgent[%s][%s]: a count of a %s", name, check, f.Kind)
			}
		}
	}
	for name, m := range ADOT {
		f := known[name]
		if f == nil {
			t.Errorf("ADOT: %s is no family", name)
			continue
		}
		if m.Suffix == "" || m.Unit == "" {
			t.Errorf("ADOT[%s] = %+v: want a name and a unit", name, m)
		}
	}
}
