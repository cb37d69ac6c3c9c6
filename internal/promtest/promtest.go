// Package promtest runs the real Prometheus tools from tests: promtool to
// lint exposition text, and the prometheus server for end-to-end scrapes.
package promtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

// Binary returns the path of a Prometheus tool. Where it is not installed the
// test is skipped, except in CI (CI=true), where .ci/run installs it and its
// absence is a failure.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found in CI: %v", name, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus): %v", name, err)
	}
	return path
}

// CheckMetrics fails t if `promtool check metrics` reports anything about
// text, a scrape in the Prometheus exposition format.
func CheckMetrics(t testing.TB, text []byte) {
	t.Helper()
	cmd := exec.Command(Binary(t, "promtool"), "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// Server is a real Prometheus server running on loopback.
type Server struct {
	URL string
}

// StartServer runs prometheus scraping target (host:port) every second and
// evaluating ruleFiles every second, with its storage in a temporary
// directory, until the test ends.
func StartServer(t testing.TB, target string, ruleFiles ...string) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ecswatch\n    static_configs:\n      - targets: [%q]\n", target)
	if len(ruleFiles) > 0 {
		cfg += "rule_files:\n"
		for _, f := range ruleFiles {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg += fmt.Sprintf("  - %q\n", abs)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return StartServerWithConfig(t, filepath.Join(dir, "prometheus.yml"))
}

// StartServerWithConfig runs prometheus with the configuration file at path,
// its storage in a temporary directory, until the test ends.
func StartServerWithConfig(t testing.TB, path string) *Server {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	addr := testutil.FreeAddr(t, "127.0.0.1")
	logs := &bytes.Buffer{}
	cmd := exec.Command(bin,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs)
		}
	})
	s := &Server{URL: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready: %v\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Sample is one element of an instant query's vector result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// Float is the sample's value.
func (s Sample) Float() float64 {
	str, _ := s.Value[1].(string)
	f, _ := strconv.ParseFloat(str, 64)
	return f
}

// Query runs an instant query through the HTTP API.
func (s *Server) Query(t testing.TB, q string) []Sample {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []Sample `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s", q, err, body.Error)
	}
	return body.Data.Result
}

// Eventually queries q until check accepts the result or timeout passes.
func (s *Server) Eventually(t testing.TB, q string, timeout time.Duration, check func([]Sample) bool) []Sample {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res := s.Query(t, q)
		if check(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %s: condition not met within %s; last result %+v", q, timeout, res)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
