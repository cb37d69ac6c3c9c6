package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// TestCommandLinesOfEcsExporterAndPrometheus: the command lines that task
// definitions written for ecs_exporter, or for any exporter built on
// exporter-toolkit and promslog, pass. Both builds read them alike: the full
// build with kingpin, the sidecar build with its own reader (.ci/run runs
// this test in both).
func TestCommandLinesOfEcsExporterAndPrometheus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		args      []string
		cmd       string
		overrides []string // key=value (origin)
		extra     []string // listen addresses beyond the first
		memLimit  bool
		ratio     float64
	}{
		{name: "nothing: run with the configuration's defaults", cmd: "run", memLimit: true, ratio: 0.9},
		{name: "ecs_exporter's task definition",
			args: []string{"--web.listen-address=:9779", "--web.telemetry-path", "/metrics", "--web.disable-exporter-metrics", "--log.level=debug", "--log.format", "json"},
			cmd:  "run", memLimit: true, ratio: 0.9,
			overrides: []string{
				"exporters.prometheus.disable_exporter_metrics=true (flag --web.disable-exporter-metrics)",
				"log.format=json (flag --log.format)", "log.level=debug (flag --log.level)",
				"web.listen_address=:9779 (flag --web.listen-address)", "web.telemetry_path=/metrics (flag --web.telemetry-path)",
			}},
		{name: "flags after the command, an address repeated",
			args: []string{"run", "--web.listen-address", "127.0.0.1:9787", "--web.listen-address=[::1]:9787"},
			cmd:  "run", memLimit: true, ratio: 0.9,
			overrides: []string{"web.listen_address=127.0.0.1:9787 (flag --web.listen-address)"}, extra: []string{"[::1]:9787"}},
		{name: "Prometheus 3's memory limit flags",
			args: []string{"--no-auto-gomemlimit", "--auto-gomemlimit.ratio=0.5", "healthcheck"},
			cmd:  "healthcheck", ratio: 0.5},
		{name: "a boolean turned off", args: []string{"--no-web.disable-exporter-metrics"},
			cmd: "run", memLimit: true, ratio: 0.9, overrides: []string{"exporters.prometheus.disable_exporter_metrics=false (flag --web.disable-exporter-metrics)"}},
		{name: "check-config and its file", args: []string{"check-config", "ecswatch.yml"}, cmd: "check-config", memLimit: true, ratio: 0.9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv, code, ok := parse(tt.args, io.Discard, io.Discard)
			if !ok {
				t.Fatalf("parse %v: refused (%d)", tt.args, code)
			}
			var overrides []string
			for _, o := range inv.flags.overrides {
				overrides = append(overrides, o.Key+"="+o.Value+" ("+o.Origin+")")
			}
			slices.Sort(overrides)
			f := inv.flags
			if inv.cmd != tt.cmd || !slices.Equal(overrides, tt.overrides) || !slices.Equal(f.extraListenAddresses, tt.extra) ||
				f.autoMemLimit != tt.memLimit || f.memLimitRatio != tt.ratio {
				t.Errorf("parse %v = %s %q extra %q memory limit %t %g\nwant %s %q extra %q memory limit %t %g", tt.args,
					inv.cmd, overrides, f.extraListenAddresses, f.autoMemLimit, f.memLimitRatio, tt.cmd, tt.overrides, tt.extra, tt.memLimit, tt.ratio)
			}
		})
	}
}

// TestCommandLineMistakesAreRefused: a mistake ends the command line with
// kingpin's message and exit code 2, before anything starts.
func TestCommandLineMistakesAreRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--web.listen-adress=:9779"}, "unknown long flag '--web.listen-adress'"},
		{[]string{"--log.format=xml"}, "unrecognized log format xml"},
		{[]string{"--web.disable-exporter-metrics=false"}, "unexpected false"},
		{[]string{"serve"}, "unexpected serve"},
		{[]string{"check-config"}, "required argument 'file' not provided"},
		{[]string{"version", "extra"}, "unexpected extra"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr strings.Builder
			if _, code, ok := parse(tt.args, io.Discard, &stderr); ok || code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("parse %v = %d, %t, %q; want 2 and %q", tt.args, code, ok, stderr.String(), tt.want)
			}
		})
	}
}
