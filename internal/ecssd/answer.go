package ecssd

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// answer is one published set of targets: each cluster's, by cluster name.
type answer struct {
	clusters []*clusterAnswer
}

// clusterAnswer is one cluster's targets as served. Each target is rendered
// once, when its cluster is read, as a target group; the groups are kept
// gzipped together, with where each ends: at a hundred thousand targets the
// rendered groups are a hundred megabytes, gzipped about a twelfth of it. A
// client that takes gzip gets the compressed groups as they are (gzip
// members concatenate); the others, and filters, decompress them.
type clusterAnswer struct {
	targets []Target // sorted; their labels let go once rendered
	ends    []int    // targets[i]'s group ends at ends[i] in the joined groups
	gz      []byte   // the groups joined with commas, gzipped
}

// newClusterAnswer renders the targets that have no group yet (one kept
// from an earlier cycle has its own) and keeps them gzipped.
func newClusterAnswer(ts []Target) (*clusterAnswer, error) {
	var (
		plain bytes.Buffer
		gz    bytes.Buffer
	)
	a := &clusterAnswer{targets: ts, ends: make([]int, len(ts))}
	enc := json.NewEncoder(&plain)
	for i := range ts {
		t := &ts[i]
		if i > 0 {
			plain.WriteByte(',')
		}
		if t.group != nil {
			plain.Write(t.group)
		} else if err := enc.Encode(Group{Targets: []string{t.Address}, Labels: t.Labels}); err != nil {
			return nil, fmt.Errorf("render target %s: %w", t.Address, err)
		} else {
			plain.Truncate(plain.Len() - 1) // the Encoder's newline
		}
		a.ends[i] = plain.Len()
		t.Labels, t.group = nil, nil
	}
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	_, _ = zw.Write(plain.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	a.gz = bytes.Clone(gz.Bytes())
	return a, nil
}

// plain is the joined groups, uncompressed.
func (a *clusterAnswer) plain() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(a.gz))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// group is targets[i]'s group in plain.
func (a *clusterAnswer) group(plain []byte, i int) []byte {
	start := 0
	if i > 0 {
		start = a.ends[i-1] + 1 // after the comma
	}
	return plain[start:a.ends[i]]
}

// same reports whether b renders as a does.
func (a *clusterAnswer) same(b *clusterAnswer) bool {
	return a != nil && b != nil && bytes.Equal(a.gz, b.gz)
}

// ofTask returns task's targets as a rendered them, each with its group:
// the targets to keep for a task that cannot be rendered afresh this cycle.
func (a *clusterAnswer) ofTask(task string, plain func() []byte) []Target {
	if a == nil {
		return nil
	}
	i, _ := slices.BinarySearchFunc(a.targets, task, func(t Target, task string) int { return strings.Compare(t.Task, task) })
	var out []Target
	for ; i < len(a.targets) && a.targets[i].Task == task; i++ {
		t := a.targets[i]
		if p := plain(); p != nil {
			t.group = bytes.Clone(a.group(p, i))
			out = append(out, t)
		}
	}
	return out
}

// Static gzip members around and between the clusters' groups.
var (
	gzOpen, gzComma, gzClose = gzipped("["), gzipped(","), gzipped("]\n")
)

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

// write writes the targets f keeps as a JSON array of target groups,
// newline-terminated; gzipped, when gz, as concatenated gzip members.
func (a *answer) write(w io.Writer, f filter, gz bool) error {
	if gz && len(f.services)+len(f.roles) == 0 {
		// Whole clusters: their compressed groups as they are.
		bw := bufio.NewWriterSize(w, 64<<10)
		_, _ = bw.Write(gzOpen)
		first := true
		for _, c := range a.clusters {
			if len(c.targets) == 0 || !f.keepCluster(c.targets[0].Cluster) {
				continue
			}
			if !first {
				_, _ = bw.Write(gzComma)
			}
			first = false
			_, _ = bw.Write(c.gz)
		}
		_, _ = bw.Write(gzClose)
		return bw.Flush()
	}
	out := w
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		out = zw
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	_ = bw.WriteByte('[')
	first := true
	for _, c := range a.clusters {
		if len(c.targets) == 0 || !f.keepCluster(c.targets[0].Cluster) {
			continue
		}
		plain, err := c.plain()
		if err != nil {
			return fmt.Errorf("cluster %s: %w", c.targets[0].Cluster, err)
		}
		for i, t := range c.targets {
			if !f.keep(t) {
				continue
			}
			if !first {
				_ = bw.WriteByte(',')
			}
			first = false
			_, _ = bw.Write(c.group(plain, i))
		}
	}
	_, _ = bw.WriteString("]\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// Targets returns the latest targets with their labels, for tests and
// benchmarks.
func (d *Discovery) Targets() []Target {
	a := d.answer.Load()
	if a == nil {
		return nil
	}
	var out []Target
	for _, c := range a.clusters {
		plain, err := c.plain()
		if err != nil {
			continue
		}
		for i, t := range c.targets {
			var g Group
			_ = json.Unmarshal(c.group(plain, i), &g) // rendered by json.Encoder
			t.Labels = g.Labels
			out = append(out, t)
		}
	}
	return out
}
