package promtest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// Target is one active target of /api/v1/targets.
type Target struct {
	DiscoveredLabels map[string]string `json:"discoveredLabels"`
	Labels           map[string]string `json:"labels"`
	ScrapePool       string            `json:"scrapePool"`
	ScrapeURL        string            `json:"scrapeUrl"`
	Health           string            `json:"health"`
	LastError        string            `json:"lastError"`
}

// Targets returns the active targets.
func (s *Server) Targets(t testing.TB) []Target {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v1/targets?state=active")
	if err != nil {
		t.Fatalf("targets: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Data   struct {
			ActiveTargets []Target `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("targets: %v (status %q)", err, body.Status)
	}
	return body.Data.ActiveTargets
}

// EventuallyTargets polls the active targets until check accepts them or
// timeout passes.
func (s *Server) EventuallyTargets(t testing.TB, what string, timeout time.Duration, check func([]Target) bool) []Target {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ts := s.Targets(t)
		if check(ts) {
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("targets: %s not seen within %s; last %+v", what, timeout, ts)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
