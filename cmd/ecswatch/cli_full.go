//go:build !sidecar

package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/ecswatch/ecswatch/internal/config"
)

// exitCode is how kingpin's --help and --version end parse: they have
// printed what was asked, and nothing may start after them.
type exitCode int

// parse reads the command line with kingpin and the flags of
// exporter-toolkit and promslog. Where it returns !ok, the command line
// has been answered (help, version, an error) and run exits with code.
func parse(args []string, stdout, stderr io.Writer) (inv invocation, code int, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c, isExit := r.(exitCode)
			if !isExit {
				panic(r)
			}
			code, ok = int(c), false
		}
	}()
	app := kingpin.New("ecswatch", help["ecswatch"])
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.Terminate(func(code int) { panic(exitCode(code)) })
	app.Version(versionText())
	app.HelpFlag.Short('h')

	f := &inv.flags
	app.Flag("config.file", help["config.file"]).Envar("ECSWATCH_CONFIG_FILE").StringVar(&f.configFile)
	web := kingpinflag.AddFlags(app, config.DefaultListenAddress)
	telemetryPath := app.Flag("web.telemetry-path", help["web.telemetry-path"]).Default("/metrics").String()
	disableExporterMetrics := app.Flag("web.disable-exporter-metrics", help["web.disable-exporter-metrics"]).Bool()
	app.Flag("auto-gomemlimit", help["auto-gomemlimit"]).Default("true").BoolVar(&f.autoMemLimit)
	app.Flag("auto-gomemlimit.ratio", help["auto-gomemlimit.ratio"]).Default("0.9").Float64Var(&f.memLimitRatio)
	var logFlags promslog.Config
	promslogflag.AddFlags(app, &logFlags)
	set := map[string]*bool{}
	for name := range flagKeys {
		set[name] = new(bool)
		app.GetFlag(name).IsSetByUser(set[name])
	}

	app.Command("run", help["run"]).Default()
	demoCmd := app.Command("demo", "Run the daemon against a simulated ECS on loopback; no AWS account needed.")
	demoPromConfig := demoCmd.Flag("demo.prometheus-config", "Write a Prometheus configuration that scrapes the demo and loads the shipped alert rules (written beside it) to this file, then run.").String()
	checkCmd := app.Command("check-config", help["check-config"])
	checkFile := checkCmd.Arg("file", help["check-config file"]).Required().String()
	app.Command("version", help["version"])
	simCmd := app.Command("simulate", "Serve the simulated ECS endpoints alone, for benchmarks and soak tests.").Hidden()
	simCmd.Flag("sim.base-port", "Metadata endpoint on this port; ECS, CloudWatch, SQS and EC2 on the next four.").Default("19700").IntVar(&inv.sim.base)
	simCmd.Flag("sim.containers", "Containers in the simulated task.").Default("3").IntVar(&inv.sim.containers)
	simCmd.Flag("sim.metadata-latency", "Added to every metadata endpoint answer.").Default("0s").DurationVar(&inv.sim.latency)
	simCmd.Flag("sim.large-cluster", "Also simulate a cluster \"large\" of 1,000 services and 10,000 tasks.").BoolVar(&inv.sim.large)
	simCmd.Flag("sim.ten-times", "Also simulate clusters large-00 to large-19 of 500 services and 5,000 tasks each, ten of them deploying, every task a service-discovery target.").BoolVar(&inv.sim.tenTimes)
	app.Command("healthcheck", help["healthcheck"])

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "ecswatch: %v\n", err)
		return inv, 2, false
	}
	inv.cmd = cmd // a top-level command's full name is its name
	inv.checkFile, inv.demoPromConfig = *checkFile, *demoPromConfig
	if *set["web.listen-address"] {
		f.listenOn(*web.WebListenAddresses)
	}
	f.systemdSocket = web.WebSystemdSocket != nil && *web.WebSystemdSocket
	for flag, value := range map[string]string{
		"web.config.file":              *web.WebConfigFile,
		"web.telemetry-path":           *telemetryPath,
		"web.disable-exporter-metrics": strconv.FormatBool(*disableExporterMetrics),
		"log.level":                    logFlags.Level.String(),
		"log.format":                   logFlags.Format.String(),
	} {
		if *set[flag] {
			f.override(flag, value)
		}
	}
	return inv, 0, true
}

// versionText is what --version and the version command print, as every
// Prometheus exporter prints it.
func versionText() string { return version.Print("ecswatch") }
