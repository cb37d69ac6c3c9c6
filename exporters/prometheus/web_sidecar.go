//go:build sidecar

package prometheus

import (
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/common/version"
)

// The sidecar build serves without exporter-toolkit. Its landing page is an
// html/template, and text/template's calls of methods by name make the
// linker keep every exported method of every type: about a quarter of the
// binary, and of the sidecar's resident memory. TLS and basic auth are the
// full build's (the full image keeps the sidecar role when a web config
// file is given).

// landingPage is a static page with exporter-toolkit's content: the name,
// description, version and links.
func landingPage(links []link) (http.Handler, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"UTF-8\"><title>ecswatch</title></head>\n<body>\n<h1>ecswatch</h1>\n<p>%s</p>\n<p>%s</p>\n<ul>\n",
		html.EscapeString(description), html.EscapeString(version.Info()))
	for _, l := range links {
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(l.address), html.EscapeString(l.text))
	}
	b.WriteString("</ul>\n</body>\n</html>\n")
	page := []byte(b.String())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		_, _ = w.Write(page)
	}), nil
}

// serve serves plain HTTP on every listener; the first to fail ends it.
func (s *Server) serve(listeners []net.Listener) error {
	if s.cfg.WebConfigFile != "" {
		return errors.New("web config file (TLS, basic auth): not in the sidecar build of ecswatch; use the full image")
	}
	errs := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errs <- s.srv.Serve(l) }()
	}
	return <-errs
}
