package ecssd

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

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
	if err := writeAtomic(d.opts.File, func(w io.Writer) error { return a.write(w, filter{}, false) }); err != nil {
		if msg := err.Error(); msg != d.fileErr {
			d.logger.Warn("service discovery: cannot write the file_sd file", "err", err)
			d.fileErr = msg
		}
	} else {
		d.fileErr = ""
	}
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

// filter is what a request's query selects.
type filter struct{ clusters, services, roles []string }

func (f filter) keepCluster(cluster string) bool {
	return len(f.clusters) == 0 || slices.Contains(f.clusters, cluster)
}

func (f filter) keepService(service string) bool {
	return len(f.services) == 0 || slices.Contains(f.services, service)
}

func (f filter) keepRole(role string) bool {
	return len(f.roles) == 0 || slices.Contains(f.roles, role)
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
	gz := strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
	}
	if err := a.write(w, f, gz); err != nil {
		d.logger.Warn("service discovery: answering failed", "err", err)
	}
}
