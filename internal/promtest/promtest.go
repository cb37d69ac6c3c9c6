// Package promtest runs the real Prometheus tools from tests: promtool to
// lint exposition text, and the prometheus server for end-to-end scrapes.
package promtest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
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
