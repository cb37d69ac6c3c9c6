//go:build !sidecar

package main

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestDemoAgentCompatibleDatadog runs the demo with Datadog Agent-compatible
// naming, as README says to try it, captures its DogStatsD datagrams, and
// holds every metric that is not ecswatch's own to the Agent checks'
// published lists: the ecs_fargate check's for the demo's Fargate task, the
// container check's for its EC2 task.
func TestDemoAgentCompatibleDatadog(t *testing.T) {
	t.Parallel()
	published := map[string]string{} // name → the check's metric type
	for _, path := range []string{"../../exporters/datadog/testdata/agent/ecs_fargate.csv", "../../exporters/datadog/testdata/agent/container.csv"} {
		rows, err := csv.NewReader(strings.NewReader(string(testutil.ReadFile(t, path)))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			published[r[0]] = r[1]
		}
	}
	ag, addr := testutil.ListenDogStatsD(t, "udp", "127.0.0.1:0")
	host, port, _ := strings.Cut(addr, ":")
	p := startMain(t, []string{"DD_AGENT_HOST=" + host, "DD_DOGSTATSD_PORT=" + port,
		"ECSWATCH_EXPORTERS_DATADOG_NAMING=agent", "ECSWATCH_EXPORTERS_DATADOG_PUSH_INTERVAL=1s"},
		"demo", "--web.listen-address="+testutil.FreeAddr(t, "127.0.0.1"))
	p.wait(t, "datadog exporter enabled")

	seen := map[string]string{} // name → DogStatsD type
	deadline := time.Now().Add(30 * time.Second)
	for seen["ecs.fargate.cpu.usage"] == "" || seen["container.cpu.usage"] == "" || seen["ecs.fargate.cpu.percent"] == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no CPU usage from both checks' names within 30s: %v", seen)
		}
		for _, l := range ag.Take() {
			if strings.HasPrefix(l, "_e{") || strings.HasPrefix(l, "_sc|") {
				continue
			}
			nameValue, rest, _ := strings.Cut(l, "|")
			name, _, _ := strings.Cut(nameValue, ":")
			typ, _, _ := strings.Cut(rest, "|")
			seen[name] = typ
		}
	}
	for name, typ := range seen {
		if strings.HasPrefix(name, "ecswatch.") {
			continue
		}
		pub, ok := published[name]
		if !ok {
			t.Errorf("the demo sent %s, which no Agent check publishes", name)
			continue
		}
		if want := map[string]string{"rate": "c", "count": "c", "gauge": "g"}[pub]; typ != want {
			t.Errorf("%s sent as %q, the check's %s wants %q", name, typ, pub, want)
		}
	}
}
