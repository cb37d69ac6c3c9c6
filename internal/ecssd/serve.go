package ecssd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// answer is one published set of targets: each cluster's, sorted, every
// target rendered once as a target group when its cluster was read. The
// answer is written out group by group, never joined into one copy: at a
// hundred thousand targets a copy is a hundred megabytes.
type answer struct {
	clusters [][]Target // by cluster name
}

// render renders the targets that have no group yet (a target kept from
// an earlier cycle keeps its own) and lets go of their label maps: the
// rendering is all an answer needs. It reports a target it cannot render.
func render(ts []Target) error {
	for i := range ts {
		t := &ts[i]
		if t.group != nil {
			continue
		}
		g, err := json.Marshal(Group{Targets: []string{t.Address}, Labels: t.Labels})
		if err != nil {
			return fmt.Errorf("render target %s: %w", t.Address, err)
		}
		t.group, t.Labels = g, nil
	}
	return nil
}

// sameGroups reports whether two sorted target lists render alike.
func sameGroups(a, b []Target) bool {
	return slices.EqualFunc(a, b, func(x, y Target) bool { return bytes.Equal(x.group, y.group) })
}

// publishLocked publishes the targets of every cluster and, when they
// changed and a file is configured, writes them to the file_sd file. Called
// with d.mu held.
func (d *Discovery) publishLocked(changed bool) {
	if !changed && d.answer.Load() != nil {
		return
	}
	a := &answer{}
	for _, name := range slices.Sorted(maps.Keys(d.byCluster)) {
		a.clusters = append(a.clusters, d.byCluster[name])
	}
	d.answer.Store(a)
	if d.opts.File == "" {
		return
	}
	if err := writeAtomic(d.opts.File, func(w io.Writer) error { return a.write(w, filter{}) }); err != nil {
		if msg := err.Error(); msg != d.fileErr {
			d.logger.Warn("service discovery: cannot write the file_sd file", "err", err)
			d.fileErr = msg
		}
	} else {
		d.fileErr = ""
	}
}

// write writes the targets f keeps as a JSON array of target groups,
// newline-terminated.
func (a *answer) write(w io.Writer, f filter) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	_ = bw.WriteByte('[')
	first := true
	for _, ts := range a.clusters {
		for _, t := range ts {
			if !f.keep(t) {
				continue
			}
			if !first {
				_ = bw.WriteByte(',')
			}
			first = false
			_, _ = bw.Write(t.group)
		}
	}
	_, _ = bw.WriteString("]\n")
	return bw.Flush()
}

// writeAtomic replaces path with body: Prometheus's file watcher sees the
// old file or the new one, never half of one.
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("file_sd: %w", err)
	}
	werr := write(f)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o644) // read by Prometheus, often another user
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("file_sd: %w", werr)
	}
	return nil
}

// Ready says whether a cluster has been observed: before, there is no
// answer to give.
func (d *Discovery) Ready() bool { return d.answer.Load() != nil }

// Targets returns the latest targets with their labels, for tests and
// benchmarks.
func (d *Discovery) Targets() []Target {
	a := d.answer.Load()
	if a == nil {
		return nil
	}
	var out []Target
	for _, ts := range a.clusters {
		for _, t := range ts {
			var g Group
			_ = json.Unmarshal(t.group, &g) // rendered by json.Marshal
			t.Labels = g.Labels
			out = append(out, t)
		}
	}
	return out
}

// filter is what a request's query selects.
type filter struct{ clusters, services, roles []string }

func (f filter) keep(t Target) bool {
	return (len(f.clusters) == 0 || slices.Contains(f.clusters, t.Cluster)) &&
		(len(f.services) == 0 || slices.Contains(f.services, t.Service)) &&
		(len(f.roles) == 0 || slices.Contains(f.roles, t.Role))
}

// parseFilter reads cluster, service and role, each repeatable or
// comma-separated. Any other parameter is an error: a misspelt filter
// must not silently select everything.
func parseFilter(q map[string][]string) (filter, error) {
	var f filter
	for key, values := range q {
		var dst *[]string
		switch key {
		case "cluster":
			dst = &f.clusters
		case "service":
			dst = &f.services
		case "role":
			dst = &f.roles
		default:
			return f, fmt.Errorf("unknown query parameter %q: want cluster, service or role", key)
		}
		for _, v := range values {
			for part := range strings.SplitSeq(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					*dst = append(*dst, part)
				}
			}
		}
	}
	for _, r := range f.roles {
		if r != RoleSidecar && r != RoleExporter {
			return f, fmt.Errorf("unknown role %q: want %s or %s", r, RoleSidecar, RoleExporter)
		}
	}
	return f, nil
}

// ServeHTTP answers Prometheus's HTTP service discovery from the latest
// targets. Until a cluster has been read it answers 503, which Prometheus
// treats as a failed refresh that keeps the targets it had: a restarting
// ecswatch does not empty Prometheus's target list.
func (d *Discovery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a := d.answer.Load()
	if a == nil {
		http.Error(w, "no cluster has been read yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = a.write(w, f)
}
