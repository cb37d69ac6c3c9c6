package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/sim"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestMain lets a test run this binary's main, as ECS runs the image.
func TestMain(m *testing.M) {
	if os.Getenv("RUN_AS_ECSWATCH_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// mainProcess is this binary's main running in its own process.
type mainProcess struct {
	cmd   *exec.Cmd
	lines chan string
	log   strings.Builder // the lines wait read

	// all is every line the process wrote, shown when the test fails: its
	// stderr is always drained, so a chatty process never blocks on it.
	mu  sync.Mutex
	all strings.Builder
}

// startMain runs main with args and extra environment, logging in logfmt.
func startMain(t *testing.T, env []string, args ...string) *mainProcess {
	t.Helper()
	p := &mainProcess{cmd: exec.Command(os.Args[0], args...), lines: make(chan string, 100)}
	p.cmd.Env = append(append(os.Environ(), "RUN_AS_ECSWATCH_MAIN=1"), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		if t.Failed() {
			p.mu.Lock()
			t.Logf("the process's log:\n%s", p.all.String())
			p.mu.Unlock()
		}
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.all.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default: // nobody waits for lines any more
			}
		}
		close(p.lines)
	}()
	return p
}

// wait reads the log until a line contains substr.
func (p *mainProcess) wait(t *testing.T, substr string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("process ended before %q:\n%s", substr, p.log.String())
			}
			p.log.WriteString(l + "\n")
			if strings.Contains(l, substr) {
				return
			}
		case <-timeout:
			t.Fatalf("no %q in:\n%s", substr, p.log.String())
		}
	}
}

// firstScrape waits for p's collector to come up and returns what p's
// /metrics at addr serves then.
func (p *mainProcess) firstScrape(t *testing.T, addr string) []byte {
	t.Helper()
	p.wait(t, `msg="collector up"`)
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// sidecarWithKillBeforeSIGTERM starts the daemon as a sidecar that polls
// hourly over a task whose worker is OOM-killed half a second in: only the
// last collection, on SIGTERM, can see the kill.
func sidecarWithKillBeforeSIGTERM(t *testing.T, listen string) *mainProcess {
	// No kill until the first collection has seen the worker alive: a
	// start-up slower than a fixed delay would have its first collection
	// find the worker already killed, which it cannot tell from a kill
	// before it started.
	ts := sim.NewTaskSim(sim.Fargate, nil).WithSchedule(sim.Schedule{FirstOOM: time.Hour, Period: time.Hour, RestartDelay: time.Hour})
	meta := httptest.NewServer(ts.Handler())
	t.Cleanup(meta.Close)
	p := startMain(t, []string{"ECS_CONTAINER_METADATA_URI_V4=" + meta.URL, "ECSWATCH_SIDECAR_INTERVAL=1h", "ECSWATCH_SHUTDOWN_TIMEOUT=5s"},
		"run", "--web.listen-address="+listen, "--log.format=logfmt")
	p.wait(t, `msg="collector up"`)
	ts.OOMKillWorkerIn(100 * time.Millisecond)
	time.Sleep(time.Second) // the worker is OOM-killed; the hourly poll has not seen it
	return p
}

// TestSIGTERM runs the daemon as a sidecar in its own process, lets ECS's
// SIGTERM (or a SIGHUP, which stops it the same way) arrive after the worker
// container's OOM kill, and checks that the last collection records it and
// the process exits 0 within its budget.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p := sidecarWithKillBeforeSIGTERM(t, "127.0.0.1:0")
			sent := time.Now()
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			p.wait(t, "counted as OOM kill")
			p.wait(t, `msg=stopped`)
			if err := p.cmd.Wait(); err != nil {
				t.Errorf("exit: %v", err)
			}
			if took := time.Since(sent); took > 5*time.Second {
				t.Errorf("took %s to exit, budget 5s", took)
			}
		})
	}
}

// TestSIGTERMFinalCollectionIsScraped: the most common OOM kill, an
// essential container's, stops the task, and only the sidecar's last
// collection sees it. A scraper polling every second must get that
// collection before the process exits.
func TestSIGTERMFinalCollectionIsScraped(t *testing.T) {
	t.Parallel()
	addr := testutil.FreeAddr(t, "127.0.0.1")
	p := sidecarWithKillBeforeSIGTERM(t, addr)

	var (
		mu     sync.Mutex
		bodies []string
	)
	stop := make(chan struct{})
	scraperDone := make(chan struct{})
	go func() {
		defer close(scraperDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	// Let the scraper get a first body, so that the daemon knows it is scraped.
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.wait(t, "final collection scraped")
	p.wait(t, `msg=stopped`)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	close(stop)
	<-scraperDone

	re := regexp.MustCompile(`(?m)^ecs_container_oom_kills_total\{container_name="worker",[^}]*source="sidecar"[^}]*\} 1$`)
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		if re.MatchString(b) {
			return
		}
	}
	t.Errorf("none of %d scrapes saw the kill counted by the final collection", len(bodies))
}

// TestHelpAndVersionStartNothing: each asks for text and gets it, exit 0,
// without starting the daemon (which would not exit by itself).
func TestHelpAndVersionStartNothing(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--version"}, {"help"}, {"help", "demo"}, {"demo", "--help"}, {"run", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], args...)
			cmd.Env = append(os.Environ(), "RUN_AS_ECSWATCH_MAIN=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
			if !strings.Contains(string(out), "ecswatch") || strings.Contains(string(out), "starting ecswatch") {
				t.Errorf("%v printed:\n%s", args, out)
			}
		})
	}
}

// TestEcsExporterDropIn starts ecswatch with the command line of
// prometheus-community/ecs_exporter's task definitions (its port, its flags)
// and identity labels off, and finds every series ecs_exporter serves, with
// ecs_exporter's labels and nothing about the exporter itself.
func TestEcsExporterDropIn(t *testing.T) {
	t.Parallel()
	want := testutil.ReadFile(t, "testdata/ecs_exporter_series.txt")
	addr := testutil.FreeAddr(t, "127.0.0.1")
	meta := httptest.NewServer(sim.NewTaskSim(sim.Fargate, nil).Handler())
	t.Cleanup(meta.Close)
	p := startMain(t, []string{"ECS_CONTAINER_METADATA_URI_V4=" + meta.URL, "ECSWATCH_EXPORTERS_PROMETHEUS_IDENTITY_LABELS=false"},
		"--web.listen-address="+addr, "--web.telemetry-path=/metrics", "--web.disable-exporter-metrics", "--log.level=info", "--log.format=logfmt")
	body := p.firstScrape(t, addr)
	labelSets := map[string][]string{} // name -> label names of each sample
	sample := regexp.MustCompile(`(?m)^([a-z_:]+)(?:\{([^}]*)\})? `)
	for _, m := range sample.FindAllStringSubmatch(string(body), -1) {
		var names []string
		for _, kv := range regexp.MustCompile(`([a-z_]+)="((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(m[2], -1) {
			if kv[2] != "" { // Prometheus drops empty labels
				names = append(names, kv[1])
			}
		}
		labelSets[m[1]] = append(labelSets[m[1]], strings.Join(names, ","))
	}
	for _, line := range strings.Split(string(want), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, labels, _ := strings.Cut(line, " ")
		sets, ok := labelSets[name]
		if !ok {
			t.Errorf("%s: not served", name)
			continue
		}
		wantSet := strings.Split(labels, ",")
		slices.Sort(wantSet)
		for _, got := range sets {
			gotSet := strings.Split(got, ",")
			slices.Sort(gotSet)
			if !slices.Equal(gotSet, wantSet) {
				t.Errorf("%s has labels %v, ecs_exporter's are %v", name, gotSet, wantSet)
			}
		}
	}
	for name := range labelSets {
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
			t.Errorf("%s served despite --web.disable-exporter-metrics", name)
		}
	}
}
