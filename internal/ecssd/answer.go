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
// once, when its cluster is read, as a target group; each service's groups
// are kept gzipped together, with where each ends: at a hundred thousand
// targets the rendered groups are a hundred megabytes, gzipped about a
// tenth of it. A client that takes gzip gets the compressed groups as they
// are (gzip members concatenate); the others, and a filter by role,
// decompress them; a filter by service decompresses only that service's.
type clusterAnswer struct {
	cluster string
	targets []kept  // in the order rendered: by service first
	chunks  []chunk // one per service, in targets' order
}

// kept is what an answer keeps of a rendered target: its role, for a
// filter by role, and its task, to find a task's groups again. The rest is
// in its group.
type kept struct{ task, role string }

// chunk is one service's targets: targets[first:end], their groups joined
// with commas and gzipped, ends[i] where the (first+i)th group ends.
type chunk struct {
	service    string
	first, end int
	ends       []int
	gz         []byte
}

// newClusterAnswer renders the targets of one cluster, sorted, that have
// no group yet (one kept from an earlier cycle has its own) and keeps them
// gzipped.
func newClusterAnswer(ts []Target) (*clusterAnswer, error) {
	a := &clusterAnswer{targets: make([]kept, len(ts))}
	if len(ts) > 0 {
		a.cluster = ts[0].Cluster
	}
	var plain, gz bytes.Buffer
	enc := json.NewEncoder(&plain)
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	for first := 0; first < len(ts); {
		c := chunk{service: ts[first].Service, first: first}
		plain.Reset()
		for c.end = first; c.end < len(ts) && ts[c.end].Service == c.service; c.end++ {
			t := &ts[c.end]
			if c.end > first {
				plain.WriteByte(',')
			}
			if t.group != nil {
				plain.Write(t.group)
			} else if err := enc.Encode(Group{Targets: []string{t.Address}, Labels: t.Labels}); err != nil {
				return nil, fmt.Errorf("render target %s: %w", t.Address, err)
			} else {
				plain.Truncate(plain.Len() - 1) // the Encoder's newline
			}
			c.ends = append(c.ends, plain.Len())
			a.targets[c.end] = kept{task: t.Task, role: t.Role}
		}
		gz.Reset()
		zw.Reset(&gz)
		_, _ = zw.Write(plain.Bytes())
		if err := zw.Close(); err != nil {
			return nil, err
		}
		c.gz = bytes.Clone(gz.Bytes())
		a.chunks = append(a.chunks, c)
		first = c.end
	}
	return a, nil
}

// plain is c's groups, uncompressed.
func (c *chunk) plain() ([]byte, error) {
	var d decompressor
	return d.plain(c)
}

// decompressor decompresses chunks one after another into one buffer.
type decompressor struct {
	zr  *gzip.Reader
	buf bytes.Buffer
}

// plain is c's groups, valid until the next call.
func (d *decompressor) plain(c *chunk) ([]byte, error) {
	var err error
	if d.zr == nil {
		d.zr, err = gzip.NewReader(bytes.NewReader(c.gz))
	} else {
		err = d.zr.Reset(bytes.NewReader(c.gz))
	}
	if err != nil {
		return nil, err
	}
	d.buf.Reset()
	_, err = d.buf.ReadFrom(d.zr)
	return d.buf.Bytes(), err
}

// group is the group of c's ith target in plain.
func (c *chunk) group(plain []byte, i int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1] + 1 // after the comma
	}
	return plain[start:c.ends[i]]
}

// same reports whether b renders as a does.
func (a *clusterAnswer) same(b *clusterAnswer) bool {
	return a != nil && b != nil && slices.EqualFunc(a.chunks, b.chunks, func(x, y chunk) bool { return bytes.Equal(x.gz, y.gz) })
}

// ofTask returns the targets of task (its ID, of service) as a rendered
// them, each with its group, in a's order: what to keep for a task that
// cannot be rendered afresh this cycle.
func (a *clusterAnswer) ofTask(service, task string) []Target {
	if a == nil {
		return nil
	}
	ci, found := slices.BinarySearchFunc(a.chunks, service, func(c chunk, s string) int { return strings.Compare(c.service, s) })
	if !found {
		return nil
	}
	c := &a.chunks[ci]
	ts := a.targets[c.first:c.end]
	i, found := slices.BinarySearchFunc(ts, task, func(k kept, task string) int { return strings.Compare(k.task, task) })
	if !found {
		return nil
	}
	plain, err := c.plain()
	if err != nil {
		return nil // ours: it decompresses
	}
	var out []Target
	for ; i < len(ts) && ts[i].task == task; i++ {
		out = append(out, Target{Cluster: a.cluster, Service: service, Role: ts[i].role, Task: task,
			group: bytes.Clone(c.group(plain, i))})
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
	bw := bufio.NewWriterSize(w, 64<<10)
	if gz && len(f.roles) == 0 {
		// Whole services: their compressed groups as they are.
		_, _ = bw.Write(gzOpen)
		first := true
		for _, c := range a.kept(f) {
			if !first {
				_, _ = bw.Write(gzComma)
			}
			first = false
			_, _ = bw.Write(c.gz)
		}
		_, _ = bw.Write(gzClose)
		return bw.Flush()
	}
	out := io.Writer(bw)
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(bw, gzip.BestSpeed)
		out = zw
	}
	_, _ = io.WriteString(out, "[")
	first := true
	var d decompressor
	for _, c := range a.kept(f) {
		plain, err := d.plain(c.chunk)
		if err != nil {
			return fmt.Errorf("service %s: %w", c.service, err)
		}
		for i, t := range c.targets {
			if !f.keepRole(t.role) {
				continue
			}
			if !first {
				_, _ = io.WriteString(out, ",")
			}
			first = false
			_, _ = out.Write(c.group(plain, i))
		}
	}
	_, _ = io.WriteString(out, "]\n")
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// keptChunk is a chunk with its cluster and targets.
type keptChunk struct {
	*chunk
	cluster string
	targets []kept
}

// kept lists the services f keeps, by cluster and service.
func (a *answer) kept(f filter) []keptChunk {
	var out []keptChunk
	for _, ca := range a.clusters {
		for i := range ca.chunks {
			c := &ca.chunks[i]
			if f.keepCluster(ca.cluster) && f.keepService(c.service) {
				out = append(out, keptChunk{c, ca.cluster, ca.targets[c.first:c.end]})
			}
		}
	}
	return out
}

// Targets returns the latest targets with their labels, for tests and
// benchmarks.
func (d *Discovery) Targets() []Target {
	a := d.answer.Load()
	if a == nil {
		return nil
	}
	var out []Target
	for _, c := range a.kept(filter{}) {
		plain, err := c.plain()
		if err != nil {
			continue
		}
		for i, k := range c.targets {
			var g Group
			_ = json.Unmarshal(c.group(plain, i), &g) // rendered by json.Encoder
			t := Target{Cluster: c.cluster, Service: c.service, Role: k.role, Task: k.task, Labels: g.Labels}
			if len(g.Targets) == 1 {
				t.Address = g.Targets[0]
			}
			out = append(out, t)
		}
	}
	return out
}
