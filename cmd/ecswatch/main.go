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
	"runtime/debug"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/daemon"
)

func main() {
	if _, set := os.LookupEnv("GOGC"); !set && defaultGCPercent > 0 {
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// flags are the command-line flags shared by run and demo. Empty means "not
// given": they override the configuration only when set.
type flags struct {
	configFile    string
	listenAddress string
	webConfigFile string
	logLevel      string
	logFormat     string
}

func (f *flags) overrides() []config.Override {
	var out []config.Override
	for _, o := range []config.Override{
		{Key: "web.listen_address", Value: f.listenAddress, Origin: "flag --web.listen-address"},
		{Key: "web.config_file", Value: f.webConfigFile, Origin: "flag --web.config.file"},
		{Key: "log.level", Value: f.logLevel, Origin: "flag --log.level"},
		{Key: "log.format", Value: f.logFormat, Origin: "flag --log.format"},
	} {
		if o.Value != "" {
			out = append(out, o)
		}
	}
	return out
}

func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("ecswatch", "Observability daemon for AWS ECS: task, container and deployment metrics for Prometheus.")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	app.Terminate(nil)
	app.Version(version.Print("ecswatch"))
	app.HelpFlag.Short('h')

	var f flags
	app.Flag("config.file", "Configuration file (YAML). Keys are documented in config.example.yaml.").Envar("ECSWATCH_CONFIG_FILE").StringVar(&f.configFile)
	app.Flag("web.listen-address", "Address to serve /metrics on. Overrides web.listen_address (default "+config.DefaultListenAddress+").").StringVar(&f.listenAddress)
	app.Flag("web.config.file", "exporter-toolkit web configuration file for TLS and basic auth. Overrides web.config_file.").StringVar(&f.webConfigFile)
	app.Flag("log.level", "Only log messages with the given severity or above: debug, info, warn, error.").StringVar(&f.logLevel)
	app.Flag("log.format", "Output format of log messages: logfmt or json.").StringVar(&f.logFormat)

	runCmd := app.Command("run", "Run the daemon (default).").Default()
	demoCmd := app.Command("demo", "Run the daemon against a simulated ECS task on loopback; no AWS account needed.")
	checkCmd := app.Command("check-config", "Validate a configuration file and exit.")
	checkFile := checkCmd.Arg("file", "Configuration file to check.").Required().String()
	versionCmd := app.Command("version", "Print version information.")
	simCmd := app.Command("simulate", "Serve the simulated ECS endpoints alone, for benchmarks and soak tests.").Hidden()
	simBase := simCmd.Flag("sim.base-port", "Metadata endpoint on this port; ECS, CloudWatch and SQS on the next three.").Default("19700").Int()
	simContainers := simCmd.Flag("sim.containers", "Containers in the simulated task.").Default("3").Int()
	simLatency := simCmd.Flag("sim.metadata-latency", "Added to every metadata endpoint answer.").Default("0s").Duration()
	simLarge := simCmd.Flag("sim.large-cluster", "Also simulate a cluster \"large\" of 1,000 services and 10,000 tasks.").Bool()
	healthCmd := app.Command("healthcheck", "Exit 0 if the daemon on the configured listen address answers /healthz; for container health checks.")

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "ecswatch: %v\n", err)
		return 2
	}
	switch cmd {
	case versionCmd.FullCommand():
		fmt.Fprintln(stdout, version.Print("ecswatch"))
		return 0
	case checkCmd.FullCommand():
		// The file as run would read it: with the environment applied.
		if _, err := loadConfig(nil, *checkFile, nil); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK\n", *checkFile)
		return 0
	case simCmd.FullCommand():
		return simulate(*simBase, *simContainers, *simLatency, *simLarge, stderr)
	case healthCmd.FullCommand():
		return healthcheck(f, stderr)
	case runCmd.FullCommand():
		return serve(nil, f, stderr, nil)
	case demoCmd.FullCommand():
		return demo(f, stderr)
	}
	return 2
}

// serve loads the configuration over base and runs the daemon until SIGINT,
// SIGTERM or SIGHUP.
func serve(base *config.Config, f flags, stderr io.Writer, opts []daemon.Option) int {
	cfg, err := loadConfig(base, f.configFile, f.overrides())
	if err != nil {
		fmt.Fprintf(stderr, "ecswatch: invalid configuration:\n%v\n", err)
		return 1
	}
	logger := newLogger(cfg, stderr)
	logger.Info("starting ecswatch", "version", version.Info(), "build_context", version.BuildContext())

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
	cfg, err := loadConfig(nil, f.configFile, f.overrides())
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

	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening everywhere: loopback is one of them
	}
	addr := net.JoinHostPort(host, port)
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
