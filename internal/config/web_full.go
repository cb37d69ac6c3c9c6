//go:build !sidecar

package config

import "github.com/prometheus/exporter-toolkit/web"

// validateWebConfig checks an exporter-toolkit web config file (TLS, basic
// auth) as exporter-toolkit will read it.
func validateWebConfig(path string) error { return web.Validate(path) }
