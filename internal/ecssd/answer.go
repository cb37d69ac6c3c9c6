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

// kept is what an answer keeps of a rendered target, 24 bytes of it: its
// task, to find a task's groups again; where its group ends in its
// service's plain groups; and its role, for a filter by role (a target is
// a sidecar or an exporter). The rest is in its group.
type kept struct {
	task    string
	end     int32
	sidecar bool
}

func (k kept) role() string {
	if k.sidecar {
		return RoleSidecar
	}
	return RoleExporter
}

// chunk is one service's targets, targets[first:end], their groups joined
// with commas and gzipped.
type chunk struct {
	service    string
	first, end int32
	gz         []byte
}

// answerBuilder renders a cluster's targets a service at a time, so that
// only one service's targets, with their label maps, are alive at once.
type answerBuilder struct {
	a         *clusterAnswer
	plain, gz bytes.Buffer
	enc       *json.Encoder
	zw        *gzip.Writer
}

// newAnswerBuilder starts cluster's answer; size is about how many targets
// it will have.
func newAnswerBuilder(cluster string, size int) *answerBuilder {
	b := &answerBuilder{a: &clusterAnswer{cluster: cluster, targets: make([]kept, 0, size)}}
	b.enc = json.NewEncoder(&b.plain)
	b.zw, _ = gzip.NewWriterLevel(&b.gz, gzip.BestSpeed)
	return b
}

// add renders the targets of one service, sorted, that have no group yet
// (one kept from an earlier cycle has its own). Services are added in
// order.
func (b *answerBuilder) add(service string, ts []Target) error {
	if len(ts) == 0 {
		return nil
	}
	a := b.a
	c := chunk{service: strings.Clone(service), first: int32(len(a.targets))} // kept past the cycle: off the decoder's arena
	b.plain.Reset()
	for i := range ts {
		t := &ts[i]
		if i > 0 {
			b.plain.WriteByte(',')
		}
		if t.group != nil {
			b.plain.Write(t.group)
		} else if err := b.enc.Encode(Group{Targets: []string{t.Address}, Labels: t.Labels}); err != nil {
			return fmt.Errorf("render target %s: %w", t.Address, err)
		} else {
			b.plain.Truncate(b.plain.Len() - 1) // the Encoder's newline
		}
		// Kept past the cycle: a copy, off the decoder's arena.
		a.targets = append(a.targets, kept{task: strings.Clone(t.Task), end: int32(b.plain.Len()), sidecar: t.Role == RoleSidecar})
	}
	c.end = int32(len(a.targets))
	b.gz.Reset()
	b.zw.Reset(&b.gz)
	_, _ = b.zw.Write(b.plain.Bytes())
	if err := b.zw.Close(); err != nil {
		return err
	}
	c.gz = bytes.Clone(b.gz.Bytes())
	a.chunks = append(a.chunks, c)
	return nil
}

// answer is the cluster's answer, once every service is added.
func (b *answerBuilder) answer() *clusterAnswer { return b.a }

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

// group is the group of the ith of a service's targets ts in plain, its
// groups uncompressed.
func group(plain []byte, ts []kept, i int) []byte {
	start := 0
	if i > 0 {
		start = int(ts[i-1].end) + 1 // after the comma
	}
	return plain[start:ts[i].end]
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
		out = append(out, Target{Cluster: a.cluster, Service: c.service, Role: ts[i].role(), Task: ts[i].task,
			group: bytes.Clone(group(plain, ts, i))})
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
			if !f.keepRole(t.role()) {
				continue
			}
			if !first {
				_, _ = io.WriteString(out, ",")
			}
			first = false
			_, _ = out.Write(group(plain, c.targets, i))
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
			_ = json.Unmarshal(group(plain, c.targets, i), &g) // rendered by json.Encoder
			t := Target{Cluster: c.cluster, Service: c.service, Role: k.role(), Task: k.task, Labels: g.Labels}
			if len(g.Targets) == 1 {
				t.Address = g.Targets[0]
			}
			out = append(out, t)
		}
	}
	return out
}
