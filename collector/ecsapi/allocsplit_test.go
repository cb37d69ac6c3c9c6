package ecsapi

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The benchmarks run the simulated ECS API in the same process, so the
// process's allocation count is the collector's and the simulator's
// together. splitAllocs separates them by where each allocation was made:
// it records every allocation of one cycle with its full call stack (memory
// profile rate 1) and counts as the simulator's every allocation made on an
// HTTP server's goroutine (a stack through net/http's (*conn).serve:
// reading the request, the simulator's handler and its JSON encoding,
// writing the response; or the accept loop and a connection's background
// reader). Everything else is the collector's: its
// own code, the SDK (serialising, signing, retrying, deserialising), the
// HTTP client transport and the Store. The goroutine that serves a
// connection does nothing else, so the split is exact, not estimated.
//
// Recording every allocation is slow, so the split is measured on one
// extra, untimed cycle, not on the timed ones.

// allocCounts are the allocations of one cycle on each side.
type allocCounts struct {
	collector, sim uint64 // objects
	collectorBytes uint64
	// The runtime's count, of which tiny were packed into an earlier
	// allocation's block, and the profile's count: total-tiny.
	total, tiny, profiled uint64
}

// splitAllocs runs cycle once with every allocation profiled and returns
// its allocations by side.
func splitAllocs(tb testing.TB, cycle func()) allocCounts {
	tb.Helper()
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	drainSampleGaps()

	before := allocProfile(tb)
	m := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/tiny/allocs:objects"}}
	metrics.Read(m)
	total0, tiny0 := m[0].Value.Uint64(), m[1].Value.Uint64()
	cycle()
	metrics.Read(m)
	after := allocProfile(tb)

	out := allocCounts{total: m[0].Value.Uint64() - total0 + m[1].Value.Uint64() - tiny0, tiny: m[1].Value.Uint64() - tiny0}
	for key, a := range after {
		b := before[key]
		objects, bytes := a.objects-b.objects, a.bytes-b.bytes
		if objects == 0 || a.harness {
			continue
		}
		out.profiled += objects
		if a.server {
			out.sim += objects
		} else {
			out.collector += objects
			out.collectorBytes += bytes
		}
	}
	return out
}

// drainSampleGaps makes every P's next allocation a profiled one. Each P
// draws the distance to its next profiled allocation at the rate in force
// at its last one (512 KiB on average by default), so right after the rate
// is set to 1 each P would still skip that much. One goroutine per P,
// started together so that they run on every P at once, allocates well
// past it.
func drainSampleGaps() {
	n := runtime.GOMAXPROCS(0)
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	var ready atomic.Int32
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			ready.Add(1)
			for ready.Load() < int32(n) {
				runtime.Gosched()
			}
			for range 1 << 17 { // 16 MiB in 128-byte objects
				sink = make([]byte, 128)
			}
		}()
	}
	started.Wait()
	done.Wait()
}

// sink keeps drainSampleGaps' allocations from being optimised away.
var sink []byte

// allocSite is one stack's cumulative allocations in the profile.
type allocSite struct {
	objects, bytes uint64
	server         bool // made on an HTTP server's goroutine
	// harness: made by allocProfile itself, reading the profile before
	// the cycle; neither side's, and not in the runtime's count either.
	harness bool
}

// allocProfile reads the cumulative allocations by stack from the heap
// profile in its text form, which carries whole stacks (runtime.MemProfile
// cuts them at 32 frames). The profile is up to date as of the last
// completed garbage collection, hence the two.
func allocProfile(tb testing.TB) map[string]allocSite {
	tb.Helper()
	runtime.GC()
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 1); err != nil {
		tb.Fatal(err)
	}
	sites := map[string]allocSite{}
	var key string
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// A record: "inuse: inusebytes [allocs: allocbytes] @ pc pc ...",
		// followed by its frames, "#\tpc\tfunction+off\tfile:line".
		if i := strings.Index(line, " @ "); i > 0 && strings.Contains(line, "[") && !strings.HasPrefix(line, "heap profile:") {
			key = line[i+3:]
			var inuse, inuseBytes, objects, bytes uint64
			if _, err := fmt.Sscanf(line[:i], "%d: %d [%d: %d]", &inuse, &inuseBytes, &objects, &bytes); err != nil {
				tb.Fatalf("heap profile line %q: %v", line, err)
			}
			s := sites[key] // the same stack can be listed twice: add up
			s.objects += objects
			s.bytes += bytes
			sites[key] = s
			continue
		}
		if key == "" || !strings.HasPrefix(line, "#\t") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		s := sites[key]
		s.server = s.server || serverFrame(f[2])
		s.harness = s.harness || strings.Contains(f[2], "/collector/ecsapi.allocProfile+")
		sites[key] = s
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return sites
}

// reportAllocSplit reports a cycle's allocations per task by side.
func reportAllocSplit(b *testing.B, a allocCounts, tasks int) {
	b.ReportMetric(float64(a.collector)/float64(tasks), "collector-allocs/task")
	b.ReportMetric(float64(a.collectorBytes)/float64(tasks), "collector-B/task")
	b.ReportMetric(float64(a.sim)/float64(tasks), "sim-allocs/task")
	b.ReportMetric(float64(a.tiny)/float64(tasks), "tiny-allocs/task")
	// The profile must account for the allocations the runtime counted but
	// the tiny ones (see allocCounts), within 1%: what other goroutines
	// (the runtime's, the benchmark's heap sampler) allocate during the
	// cycle lands on either count, about 0.1%; a larger gap would make the
	// split meaningless.
	if counted := a.total - a.tiny; a.profiled < counted*99/100 || a.profiled > counted*101/100 {
		b.Errorf("profiled %d allocations of the %d the runtime counted (besides %d tiny ones): the split is unreliable", a.profiled, counted, a.tiny)
	}
}

// serverFrame reports whether a frame ("function+offset") is one of the
// roots of the HTTP server's goroutines: a connection's, its background
// reader's, and the accept loop's.
func serverFrame(frame string) bool {
	for _, root := range []string{"net/http.(*conn).serve+", "net/http.(*connReader).backgroundRead+", "net/http.(*Server).Serve+"} {
		if strings.HasPrefix(frame, root) {
			return true
		}
	}
	return false
}
