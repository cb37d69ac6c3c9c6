package main

import (
	"bufio"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/sim"
)

// TestMain lets a test run this binary's main, as ECS runs the image.
func TestMain(m *testing.M) {
	if os.Getenv("ECSWATCH_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSIGTERM runs the daemon as a sidecar in its own process, lets ECS's
// SIGTERM arrive after the worker container's OOM kill, and checks that the
// last collection records it and the process exits 0 within its budget.
func TestSIGTERM(t *testing.T) {
	ts := sim.NewTaskSim(sim.Fargate, nil).WithSchedule(sim.Schedule{FirstOOM: 500 * time.Millisecond, Period: time.Hour, RestartDelay: time.Hour})
	meta := httptest.NewServer(ts.Handler())
	defer meta.Close()

	cmd := exec.Command(os.Args[0], "run", "--web.listen-address=127.0.0.1:0", "--log.format=logfmt")
	cmd.Env = append(os.Environ(), "ECSWATCH_TEST_MAIN=1", "ECS_CONTAINER_METADATA_URI_V4="+meta.URL,
		"ECSWATCH_SIDECAR_INTERVAL=1h", "ECSWATCH_SHUTDOWN_TIMEOUT=5s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	wait := func(substr string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("process ended before %q:\n%s", substr, log.String())
				}
				log.WriteString(l + "\n")
				if strings.Contains(l, substr) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q in:\n%s", substr, log.String())
			}
		}
	}
	wait(`msg="collector up"`)
	time.Sleep(time.Second) // the worker is OOM-killed; the hourly poll has not seen it
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait("counted as OOM kill")
	wait(`msg=stopped`)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	if took := time.Since(sent); took > 5*time.Second {
		t.Errorf("took %s to exit, budget 5s", took)
	}
}
