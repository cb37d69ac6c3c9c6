package ecssd

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
)

// answerOf publishes targets of two clusters as Observe does.
func answerOf(t *testing.T) (*answer, []Target) {
	t.Helper()
	mk := func(cluster, service, task, role, addr string) Target {
		return Target{Cluster: cluster, Service: service, Task: task, Role: role, Address: addr, container: "app", path: "/metrics",
			Labels: map[string]string{MetaCluster: cluster, MetaService: service, MetaTaskARN: task, MetaRole: role, "__metrics_path__": "/metrics", "odd": `<"&>`}}
	}
	byCluster := [][]Target{
		{mk("prod", "api", "1", RoleExporter, "10.0.0.1:8080"), mk("prod", "api", "1", RoleSidecar, "10.0.0.1:9787"), mk("prod", "web", "2", RoleExporter, "10.0.0.2:8080")},
		{},
		{mk("stage", "web", "3", RoleExporter, "10.1.0.3:8080")},
	}
	var all []Target
	a := &answer{}
	for _, ts := range byCluster {
		for _, tg := range ts {
			tg.Labels = maps.Clone(tg.Labels)
			all = append(all, tg)
		}
		a.clusters = append(a.clusters, render(t, ts))
	}
	return a, all
}

// render renders ts, sorted, a service at a time as Observe does.
func render(t *testing.T, ts []Target) *clusterAnswer {
	t.Helper()
	cluster := ""
	if len(ts) > 0 {
		cluster = ts[0].Cluster
	}
	b := newAnswerBuilder(cluster, len(ts))
	for first := 0; first < len(ts); {
		end := first
		for end < len(ts) && ts[end].Service == ts[first].Service {
			end++
		}
		if err := b.add(ts[first].Service, ts[first:end]); err != nil {
			t.Fatal(err)
		}
		first = end
	}
	return b.answer()
}

// keep is f as the answer applies it, target by target.
func (f filter) keep(t Target) bool {
	return f.keepCluster(t.Cluster) && f.keepService(t.Service) && f.keepRole(t.Role)
}

// expected is the answer as Prometheus reads it, built the plain way.
func expected(t *testing.T, ts []Target, f filter) string {
	t.Helper()
	groups := []Group{}
	for _, tg := range ts {
		if f.keep(tg) {
			groups = append(groups, Group{Targets: []string{tg.Address}, Labels: tg.Labels})
		}
	}
	b, err := json.Marshal(groups)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// TestAnswersAreTheSameGzippedOrNot: every request Prometheus or a person
// makes gets the same target groups, whether it takes gzip (whole clusters
// go out compressed as kept, as concatenated gzip members) or not.
func TestAnswersAreTheSameGzippedOrNot(t *testing.T) {
	t.Parallel()
	a, all := answerOf(t)
	for _, tt := range []struct {
		name string
		f    filter
	}{
		{"everything", filter{}},
		{"one cluster", filter{clusters: []string{"stage"}}},
		{"one service", filter{services: []string{"web"}}},
		{"sidecars of one cluster", filter{clusters: []string{"prod"}, roles: []string{RoleSidecar}}},
		{"nothing matches", filter{services: []string{"none"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := expected(t, all, tt.f)
			var plain, gz bytes.Buffer
			if err := a.write(&plain, tt.f, false); err != nil {
				t.Fatal(err)
			}
			if plain.String() != want {
				t.Errorf("plain answer:\n%s\nwant:\n%s", plain.String(), want)
			}
			if err := a.write(&gz, tt.f, true); err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(&gz) // reads concatenated members, as Go's HTTP client does
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("gzipped answer:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestKeptTargetsKeepTheirRendering: a task that cannot be rendered afresh
// keeps its targets as they were, labels included.
func TestKeptTargetsKeepTheirRendering(t *testing.T) {
	t.Parallel()
	a, all := answerOf(t)
	prod := a.clusters[0]
	kept := prod.ofTask("api", "1")
	if len(kept) != 2 {
		t.Fatalf("kept %d targets of the task, want 2", len(kept))
	}
	again := render(t, append(kept, Target{Cluster: "prod", Service: "web", Task: "2", Address: all[2].Address, Labels: all[2].Labels}))
	if !again.same(prod) {
		t.Error("targets kept from the last answer render differently")
	}
	if got := prod.ofTask("api", "9"); got != nil {
		t.Errorf("a task the answer does not have kept %v", got)
	}
}

// TestHTTPAnswerTakesGzip: the HTTP answer is gzipped for a client that
// asks, and the labels come back through Targets.
func TestHTTPAnswerTakesGzip(t *testing.T) {
	t.Parallel()
	a, all := answerOf(t)
	d := &Discovery{}
	d.answer.Store(a)
	req := httptest.NewRequest("GET", "/sd/ecs?cluster=prod", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if want := expected(t, all, filter{clusters: []string{"prod"}}); string(got) != want {
		t.Errorf("answer %s, want %s", got, want)
	}
	labels := func(ts []Target) []map[string]string {
		var out []map[string]string
		for _, tg := range ts {
			out = append(out, tg.Labels)
		}
		return out
	}
	if got, want := labels(d.Targets()), labels(all); !slices.EqualFunc(got, want, maps.Equal) {
		t.Errorf("Targets() labels %v, want %v", got, want)
	}
}
