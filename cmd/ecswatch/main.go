// Command ecswatch is an observability daemon for AWS ECS: it reads the task
// metadata endpoint (sidecar mode) and exports per-task and per-container
// CPU, memory, network, I/O, restarts and OOM kills to Prometheus.
//
//	ecswatch [run]            run the daemon (the default)
//	ecswatch demo             run it against a simulated ECS task, on loopback
//	ecswatch check-config F   validate a configuration file and exit
//	ecswatch version          print version information
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/daemon"
)

func main() {
	if _, set := os.LookupEnv("GOGC"); !set && defaultGCPercent > 0 {
		debug.SetGCPercent(defaultGCPercent)
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && defaultMaxProcs > 0 {
		runtime.GOMAXPROCS(defaultMaxProcs)
	}
	versionFromBuildInfo()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// flags are the command-line flags shared by run and demo. They override the
// configuration only where given.
type flags struct {
	configFile string
	overrides  []config.Override
	// Not configuration keys: exporter-toolkit's repeated
	// --web.listen-address beyond its first value, and socket activation.
	extraListenAddresses []string
	systemdSocket        bool
	// Prometheus 3's --[no-]auto-gomemlimit and --auto-gomemlimit.ratio.
	autoMemLimit  bool
	memLimitRatio float64
}

// base returns the configuration that the file, environment and overrides
// are loaded over.
func (f flags) base(b *config.Config) *config.Config {
	if b == nil {
		b = config.Default()
	}
	b.Web.ExtraListenAddresses = f.extraListenAddresses
	b.Web.SystemdSocket = f.systemdSocket
	return b
}

// invocation is what a command line asks for.
type invocation struct {
	cmd   string // a command's name: run, demo, check-config, version, simulate, healthcheck
	flags flags
	// The commands' own arguments.
	checkFile      string
	demoPromConfig string
	sim            simOptions
}

func run(args []string, stdout, stderr io.Writer) int {
	inv, code, ok := parse(args, stdout, stderr)
	if !ok {
		return code
	}
	f := inv.flags
	slices.SortFunc(f.overrides, func(a, b config.Override) int { return strings.Compare(a.Key, b.Key) })
	if f.memLimitRatio <= 0 || f.memLimitRatio > 1 {
		fmt.Fprintf(stderr, "ecswatch: --auto-gomemlimit.ratio %g: must be more than 0 and at most 1\n", f.memLimitRatio)
		return 2
	}
	switch inv.cmd {
	case "version":
		fmt.Fprintln(stdout, versionText())
		return 0
	case "check-config":
		// The file as run would read it: with the environment applied.
		if _, err := loadConfig(nil, inv.checkFile, nil); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK\n", inv.checkFile)
		return 0
	case "simulate":
		return simulate(inv.sim, stderr)
	case "healthcheck":
		return healthcheck(f, stderr)
	case "run":
		return serve(nil, f, stderr, nil)
	case "demo":
		return demo(f, inv.demoPromConfig, stderr)
	}
	return 2
}

// override records a flag given on the command line as an override of the
// configuration key it stands for.
func (f *flags) override(flag, value string) {
	f.overrides = append(f.overrides, config.Override{Key: flagKeys[flag], Value: value, Origin: "flag --" + flag})
}

// listenOn records a repeated --web.listen-address: the first address is
// web.listen_address, the others are served beside it.
func (f *flags) listenOn(addrs []string) {
	if len(addrs) == 0 {
		return
	}
	f.override("web.listen-address", addrs[0])
	f.extraListenAddresses = addrs[1:]
}

// help is the text of ecswatch's own commands and flags, which both builds'
// command lines offer.
var help = map[string]string{
	"ecswatch":                     "Observability daemon for AWS ECS: task, container and deployment metrics for Prometheus, Datadog and OTLP.",
	"config.file":                  "Configuration file (YAML). Keys are documented in config.example.yaml.",
	"web.telemetry-path":           "Path under which to expose metrics. Overrides web.telemetry_path.",
	"web.disable-exporter-metrics": "Exclude metrics about ecswatch's own process (promhttp_*, process_*, go_*). Overrides exporters.prometheus.disable_exporter_metrics.",
	"auto-gomemlimit":              "Set the Go runtime's soft memory limit (GOMEMLIMIT) from the container's memory limit, as Prometheus does; unless GOMEMLIMIT is set.",
	"auto-gomemlimit.ratio":        "The share of the container's memory limit that --auto-gomemlimit sets as GOMEMLIMIT, in (0, 1].",
	"run":                          "Run the daemon (default).",
	"check-config":                 "Validate a configuration file, with the environment applied, and exit.",
	"check-config file":            "Configuration file to check.",
	"version":                      "Print version information.",
	"healthcheck":                  "Exit 0 if the daemon answers /healthz; for container health checks.",

	// Worded as exporter-toolkit's kingpinflag and promslog/flag word
	// them: the full build takes them from those packages, which the
	// sidecar build cannot link (they import kingpin), and
	// TestSidecarFlagsReadAsTheLibrariesWriteThem checks that the two agree.
	// (web.listen-address leaves out the libraries' vsock example.)
	"web.listen-address": "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses.",
	"web.systemd-socket": "Use systemd socket activation listeners instead of port listeners (Linux only).",
	"log.level":          "Only log messages with the given severity or above. One of: [" + strings.Join(promslog.LevelFlagOptions, ", ") + "]",
	"log.format":         "Output format of log messages. One of: [" + strings.Join(promslog.FormatFlagOptions, ", ") + "]",
}

// flagKeys are the configuration keys that flags override, under the
// flags' names in ecs_exporter and every exporter built on exporter-toolkit
// and promslog, so that its task definitions' command lines start ecswatch
// unchanged.
var flagKeys = map[string]string{
	"web.listen-address":           "web.listen_address",
	"web.config.file":              "web.config_file",
	"web.telemetry-path":           "web.telemetry_path",
	"web.disable-exporter-metrics": "exporters.prometheus.disable_exporter_metrics",
	"log.level":                    "log.level",
	"log.format":                   "log.format",
}

// serve loads the configuration over base and runs the daemon until SIGINT,
// SIGTERM or SIGHUP.
func serve(base *config.Config, f flags, stderr io.Writer, opts []daemon.Option) int {
	cfg, err := loadConfig(f.base(base), f.configFile, f.overrides)
	if err != nil {
		fmt.Fprintf(stderr, "ecswatch: invalid configuration:\n%v\n", err)
		return 1
	}
	logger := newLogger(cfg, stderr)
	logger.Info("starting ecswatch", "version", version.Info(), "build_context", version.BuildContext())
	if opts == nil && cfg.SidecarOnly(os.LookupEnv) {
		handOff(besideThis(), os.Args[1:], logger)
	}
	if f.autoMemLimit && opts == nil { // not in tests: the limit is the process's
		setMemoryLimit(f.memLimitRatio, logger)
	}

	d, err := daemon.New(cfg, logger, opts...)
	if err != nil {
		logger.Error("cannot start", "err", err)
		return 1
	}
	for _, a := range d.Addrs() {
		logger.Info("serving metrics", "url", "http://"+a.String()+cfg.Web.TelemetryPath)
	}
	// SIGHUP stops as gracefully as SIGTERM: ecswatch has nothing to reload
	// that a restart would not reload, and dying at once (Go's default)
	// would skip the final collection and flush.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := d.Run(ctx); err != nil {
		logger.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

// versionFromBuildInfo fills in what the Dockerfile's -ldflags would have
// set, from what Go embeds in every binary: the module version (a tag, or a
// pseudo-version from the VCS revision) and the revision's time. The
// revision itself prometheus/common/version reads on its own.
func versionFromBuildInfo() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if version.Version == "" {
		version.Version = strings.TrimPrefix(info.Main.Version, "v")
		if version.Version == "" || version.Version == "(devel)" {
			version.Version = "devel"
		}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.time" && version.BuildDate == "" {
			version.BuildDate = s.Value
		}
	}
}

// loadConfig loads the configuration over base from path, the environment
// and overrides, and refuses an environment that cannot work.
func loadConfig(base *config.Config, path string, overrides []config.Override) (*config.Config, error) {
	cfg, err := config.Load(base, path, os.LookupEnv, overrides...)
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckEnvironment(os.Environ(), os.LookupEnv); err != nil {
		return nil, err
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	lc := &promslog.Config{Level: promslog.NewLevel(), Format: promslog.NewFormat(), Writer: w}
	// Both were validated by config.Validate.
	_ = lc.Level.Set(cfg.Log.Level)
	_ = lc.Format.Set(cfg.Log.Format)
	return promslog.New(lc)
}

// healthcheck asks the local daemon's /healthz. The image has no shell or
// curl, so an ECS container health check runs this instead. It asks first on
// the daemon's health socket, which answers whatever TLS, client
// certificates and listen address the web endpoint has; then, for a daemon
// without one, on the web endpoint itself. A 401 still proves the daemon is
// serving: basic auth covers /healthz too.
func healthcheck(f flags, stderr io.Writer) int {
	cfg, err := loadConfig(f.base(nil), f.configFile, f.overrides)
	if err != nil {
		fmt.Fprintf(stderr, "ecswatch: invalid configuration:\n%v\n", err)
		return 1
	}
	host, port, _ := net.SplitHostPort(cfg.Web.ListenAddress) // validated by Load
	socket := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", daemon.HealthSocket(port))
		},
	}}
	if status, err := get(socket, "http://ecswatch/healthz"); err == nil && status == http.StatusOK {
		return 0
	}

	addr := net.JoinHostPort(reachableHost(host), port)
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		// Ourselves: the certificate names the public host.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	status, err := get(client, "http://"+addr+"/healthz")
	if err == nil && status == http.StatusBadRequest {
		// Go's TLS server answers plain HTTP with 400: the web config
		// turned TLS on.
		status, err = get(client, "https://"+addr+"/healthz")
	}
	if err != nil {
		fmt.Fprintf(stderr, "unhealthy: %v\n", err)
		return 1
	}
	if status != http.StatusOK && status != http.StatusUnauthorized {
		fmt.Fprintf(stderr, "unhealthy: HTTP %d\n", status)
		return 1
	}
	return 0
}

func get(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// reachableHost is host as a local client dials it: a daemon listening
// everywhere (no host, 0.0.0.0, ::) is reached on loopback, one of them.
func reachableHost(host string) string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "127.0.0.1"
	}
	return host
}
