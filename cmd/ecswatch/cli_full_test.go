//go:build !sidecar

package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
)

// The sidecar build writes the help of the flags it shares with every
// exporter from its own table; a new wording upstream must reach it.
func TestSidecarFlagsReadAsTheLibrariesWriteThem(t *testing.T) {
	t.Parallel()
	app := kingpin.New("ecswatch", "")
	kingpinflag.AddFlags(app, ":9779")
	promslogflag.AddFlags(app, &promslog.Config{})
	libraries := map[string]string{}
	for _, f := range app.Model().Flags {
		libraries[f.Name] = f.Help
	}
	for _, name := range []string{"web.systemd-socket", "log.level", "log.format"} {
		if name == "web.systemd-socket" && runtime.GOOS != "linux" {
			continue // exporter-toolkit adds it on Linux only
		}
		if help[name] != libraries[name] {
			t.Errorf("--%s: the sidecar build says %q, the libraries %q", name, help[name], libraries[name])
		}
	}
	if !strings.HasPrefix(libraries["web.listen-address"], help["web.listen-address"]) {
		t.Errorf("--web.listen-address: the sidecar build says %q, the libraries %q", help["web.listen-address"], libraries["web.listen-address"])
	}
}
