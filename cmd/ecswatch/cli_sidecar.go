//go:build sidecar

package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"

	"github.com/ecswatch/ecswatch/internal/config"
)

// The sidecar build reads the full build's command line (less demo and
// simulate, which it does not carry) without kingpin. Kingpin renders its
// help with text/template, and text/template calls methods by name, so the
// linker keeps every exported method of every reachable type. Without it
// and exporter-toolkit's web serving, the sidecar binary is 3.3 MB smaller
// and its resident memory 2.9 MiB (scripts/bench.sh, docs/benchmarks.md).
// Flags, values and errors are written as kingpin writes them.

// cliFlag is one flag of the sidecar build's command line.
type cliFlag struct {
	name, help string
	def        string // shown in the help
	isBool     bool   // --name or --no-name
	set        func(string) error
}

// parse reads the command line. Where it returns !ok, the command line has
// been answered (help, version, an error) and run exits with code.
func parse(args []string, stdout, stderr io.Writer) (inv invocation, code int, ok bool) {
	f := &inv.flags
	f.configFile = os.Getenv("ECSWATCH_CONFIG_FILE")
	f.autoMemLimit, f.memLimitRatio = true, 0.9
	var listen []string
	given := map[string]string{}
	// keep keeps a flag's value, checked first where check is not nil, to
	// override its configuration key.
	keep := func(name string, check func(string) error) func(string) error {
		return func(v string) error {
			if check != nil {
				if err := check(v); err != nil {
					return err
				}
			}
			given[name] = v
			return nil
		}
	}
	flags := []cliFlag{
		{name: "config.file", help: help["config.file"] + " ($ECSWATCH_CONFIG_FILE)", set: func(v string) error { f.configFile = v; return nil }},
		{name: "web.listen-address", help: help["web.listen-address"], def: config.DefaultListenAddress,
			set: func(v string) error { listen = append(listen, v); return nil }},
		{name: "web.systemd-socket", help: help["web.systemd-socket"], isBool: true,
			set: func(v string) (err error) { f.systemdSocket, err = strconv.ParseBool(v); return err }},
		{name: "web.config.file", help: "Path to configuration file that can enable TLS or authentication: the full build's; the sidecar build refuses one.", set: keep("web.config.file", nil)},
		{name: "web.telemetry-path", help: help["web.telemetry-path"], def: "/metrics", set: keep("web.telemetry-path", nil)},
		{name: "web.disable-exporter-metrics", help: help["web.disable-exporter-metrics"], isBool: true, set: keep("web.disable-exporter-metrics", nil)},
		{name: "auto-gomemlimit", help: help["auto-gomemlimit"], def: "true", isBool: true,
			set: func(v string) (err error) { f.autoMemLimit, err = strconv.ParseBool(v); return err }},
		{name: "auto-gomemlimit.ratio", help: help["auto-gomemlimit.ratio"], def: "0.9",
			set: func(v string) (err error) { f.memLimitRatio, err = strconv.ParseFloat(v, 64); return err }},
		{name: "log.level", help: help["log.level"], def: "info",
			set: keep("log.level", func(v string) error { return promslog.NewLevel().Set(v) })},
		{name: "log.format", help: help["log.format"], def: "json",
			set: keep("log.format", func(v string) error { return promslog.NewFormat().Set(v) })},
	}
	fail := func(format string, a ...any) (invocation, int, bool) {
		fmt.Fprintf(stderr, "ecswatch: "+format+"\n", a...)
		return inv, 2, false
	}

	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
			continue
		case a == "-h" || a == "--help":
			usage(stdout, flags)
			return inv, 0, false
		case a == "--version":
			fmt.Fprintln(stdout, versionText())
			return inv, 0, false
		case !strings.HasPrefix(a, "-") || a == "-":
			positional = append(positional, a)
			continue
		case !strings.HasPrefix(a, "--"):
			return fail("unknown short flag '%s'", a)
		}
		name, value, hasValue := strings.Cut(a[2:], "=")
		negated := false
		k := slices.IndexFunc(flags, func(fl cliFlag) bool { return fl.name == name })
		if base, ok := strings.CutPrefix(name, "no-"); k < 0 && ok {
			k = slices.IndexFunc(flags, func(fl cliFlag) bool { return fl.name == base && fl.isBool })
			negated = true
		}
		if k < 0 {
			return fail("unknown long flag '--%s'", name)
		}
		fl := flags[k]
		switch {
		case fl.isBool && hasValue:
			return fail("unexpected %s", value)
		case fl.isBool:
			value = strconv.FormatBool(!negated)
		case !hasValue:
			if i+1 == len(args) {
				return fail("expected argument for flag '--%s'", name)
			}
			i++
			value = args[i]
		}
		if err := fl.set(value); err != nil {
			return fail("invalid value %q for flag '--%s': %v", value, fl.name, err)
		}
	}

	inv.cmd = "run"
	if len(positional) > 0 {
		inv.cmd, positional = positional[0], positional[1:]
	}
	switch inv.cmd {
	case "help":
		usage(stdout, flags)
		return inv, 0, false
	case "check-config":
		if len(positional) == 0 {
			return fail("required argument 'file' not provided")
		}
		inv.checkFile, positional = positional[0], positional[1:]
	case "run", "version", "healthcheck", "demo", "simulate":
	default: // an argument to the default command, run, which takes none
		return fail("unexpected %s", inv.cmd)
	}
	if len(positional) > 0 {
		return fail("unexpected %s", positional[0])
	}
	f.listenOn(listen)
	for flag, value := range given {
		f.override(flag, value)
	}
	return inv, 0, true
}

// usage writes the help, laid out as kingpin lays it out.
func usage(w io.Writer, flags []cliFlag) {
	fmt.Fprintf(w, "usage: ecswatch [<flags>] <command> [<args> ...]\n\n%s\n\nFlags:\n  -h, --help  Show context-sensitive help.\n", help["ecswatch"])
	for _, fl := range flags {
		arg := "=" + strings.ToUpper(fl.name)
		if fl.isBool {
			arg = ""
			if fl.def == "true" {
				fl.name = "[no-]" + fl.name
			}
		}
		fmt.Fprintf(w, "  --%s%s\n      %s", fl.name, arg, fl.help)
		if fl.def != "" {
			fmt.Fprintf(w, " (default: %s)", fl.def)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  --version  Show application version.\n\nCommands:\n")
	for _, c := range []string{"help", "run", "check-config", "version", "healthcheck"} {
		h := help[c]
		if c == "help" {
			h = "Show help."
		}
		if c == "check-config" {
			c += " <file>"
		}
		fmt.Fprintf(w, "  %s\n      %s\n", c, h)
	}
	fmt.Fprintln(w, "\ndemo and simulate are the full build's.")
}

// versionText is what --version and the version command print, laid out as
// prometheus/common/version's Print lays it out (Print renders a
// text/template).
func versionText() string {
	return fmt.Sprintf("ecswatch, version %s (branch: %s, revision: %s)\n  build user:       %s\n  build date:       %s\n  go version:       %s\n  platform:         %s/%s\n  tags:             %s",
		version.Version, version.Branch, version.GetRevision(), version.BuildUser, version.BuildDate, version.GoVersion, version.GoOS, version.GoArch, version.GetTags())
}
