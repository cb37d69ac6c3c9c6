//go:build !sidecar

package prometheus

import (
	"net"
	"net/http"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// landingPage is exporter-toolkit's landing page, as every exporter built
// on it serves.
func landingPage(links []link) (http.Handler, error) {
	cfg := web.LandingConfig{
		Name:        "ecswatch",
		Description: description,
		Version:     version.Info(),
		// No pprof handlers are served, so no links to them.
		Profiling: "false",
	}
	for _, l := range links {
		cfg.Links = append(cfg.Links, web.LandingLinks{Address: l.address, Text: l.text})
	}
	return web.NewLandingPage(cfg)
}

// serve serves through exporter-toolkit: TLS and basic auth come from the
// web config file.
func (s *Server) serve(listeners []net.Listener) error {
	systemd := false
	flags := &web.FlagConfig{
		WebListenAddresses: &s.cfg.ListenAddresses,
		WebSystemdSocket:   &systemd,
		WebConfigFile:      &s.cfg.WebConfigFile,
	}
	return web.ServeMultiple(listeners, s.srv, flags, s.logger)
}
