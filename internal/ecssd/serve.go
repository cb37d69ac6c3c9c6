package ecssd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// answer is one published set of targets, each rendered once as a target
// group: the whole answer, which most requests and the file ask for, is
// kept whole, and a filtered one is a concatenation.
type answer struct {
	targets []Target
	groups  [][]byte // targets[i] rendered
	all     []byte
}

// publishLocked renders the targets of every cluster and, when configured,
// writes them to the file_sd file. Called with d.mu held.
func (d *Discovery) publishLocked() {
	var all []Target
	for _, ts := range d.byCluster {
		all = append(all, ts...)
	}
	sortTargets(all)
	a := &answer{targets: all, groups: make([][]byte, len(all))}
	for i, t := range all {
		g, err := json.Marshal(Group{Targets: []string{t.Address}, Labels: t.Labels})
		if err != nil {
			d.logger.Error("service discovery: cannot render a target", "target", t.Address, "err", err)
			return
		}
		a.groups[i] = g
	}
	a.all = join(a.groups)
	prev := d.answer.Load()
	d.answer.Store(a)
	if d.opts.File != "" && (prev == nil || !bytes.Equal(prev.all, a.all)) {
		if err := writeAtomic(d.opts.File, a.all); err != nil {
			if msg := err.Error(); msg != d.fileErr {
				d.logger.Warn("service discovery: cannot write the file_sd file", "err", err)
				d.fileErr = msg
			}
		} else {
			d.fileErr = ""
		}
	}
}

// join makes a JSON array of rendered groups, newline-terminated.
func join(groups [][]byte) []byte {
	n := 3
	for _, g := range groups {
		n += len(g) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, g := range groups {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, g...)
	}
	return append(out, ']', '\n')
}

// writeAtomic replaces path with body: Prometheus's file watcher sees the
// old file or the new one, never half of one.
func writeAtomic(path string, body []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("file_sd: %w", err)
	}
	_, werr := f.Write(body)
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

// Targets returns the latest targets, for tests and benchmarks.
func (d *Discovery) Targets() []Target {
	if a := d.answer.Load(); a != nil {
		return a.targets
	}
	return nil
}

// filter is what a request's query selects.
type filter struct{ clusters, services, roles []string }

func (f filter) empty() bool { return len(f.clusters)+len(f.services)+len(f.roles) == 0 }

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
	body := a.all
	if !f.empty() {
		var kept [][]byte
		for i, t := range a.targets {
			if f.keep(t) {
				kept = append(kept, a.groups[i])
			}
		}
		body = join(kept)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
