//go:build sidecar

package config

import "errors"

// validateWebConfig refuses a web config file: the sidecar build serves
// plain HTTP, without exporter-toolkit (see exporters/prometheus), and the
// full image keeps the sidecar role itself when one is given (SidecarOnly).
func validateWebConfig(string) error {
	return errors.New("TLS and basic auth are not in the sidecar build of ecswatch (built with -tags sidecar); use the full image")
}
