package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ServiceDiscovery is Prometheus service discovery served by the standalone
// daemon: the scrape targets of the ecswatch sidecars and of the containers
// that ask to be scraped in their docker labels, in the watched clusters.
type ServiceDiscovery struct {
	Enabled bool `yaml:"enabled"`
	// Path serves the targets in Prometheus's HTTP service discovery format
	// on the web server.
	Path string `yaml:"path"`
	// File, when set, is also written with the targets in file_sd format
	// (atomically: a temporary file renamed over it).
	File string `yaml:"file"`
	// EC2Endpoint overrides the EC2 endpoint of DescribeInstances (bridge
	// and host mode tasks are reached at their instance's private IP).
	EC2Endpoint string `yaml:"ec2_endpoint"`
	// Sidecar says which containers are ecswatch sidecars.
	Sidecar SDSidecar `yaml:"sidecar"`
}

// SDSidecar recognises ecswatch sidecars in task definitions.
type SDSidecar struct {
	// ContainerNames are container names that are sidecars.
	ContainerNames []string `yaml:"container_names"`
	// Images are substrings of the images that are sidecars.
	Images []string `yaml:"images"`
	// Port and MetricsPath are where a sidecar serves its metrics, unless
	// its docker labels say otherwise.
	Port        int    `yaml:"port"`
	MetricsPath string `yaml:"metrics_path"`
}

func defaultServiceDiscovery() ServiceDiscovery {
	return ServiceDiscovery{
		Path: "/sd/ecs",
		Sidecar: SDSidecar{
			ContainerNames: []string{"ecswatch"}, Images: []string{"ecswatch"},
			Port: 9787, MetricsPath: "/metrics",
		},
	}
}

// validateServiceDiscovery checks standalone.service_discovery.
func (c *Config) validateServiceDiscovery(check func(ok bool, key, format string, args ...any)) {
	sd := c.Standalone.ServiceDiscovery
	const p = "standalone.service_discovery."
	if sd.Enabled {
		check(c.Standalone.Enabled, p+"enabled", "needs standalone.enabled: the targets come from the standalone collector's reads")
	}
	check(strings.HasPrefix(sd.Path, "/") && !strings.ContainsAny(sd.Path, " \t{}?#"), p+"path", "must start with / and hold no spaces, braces, ? or #, got %q", sd.Path)
	check(sd.Path != c.Web.TelemetryPath && !slices.Contains(reservedPaths, sd.Path) && sd.Path != "/", p+"path", "%s is already served (metrics, health or the landing page); choose another path", sd.Path)
	if sd.File != "" {
		ext := filepath.Ext(sd.File)
		check(ext == ".json" || ext == ".yml" || ext == ".yaml", p+"file", "want a .json, .yml or .yaml file (Prometheus's file_sd reads only those), got %q", sd.File)
		info, err := os.Stat(filepath.Dir(sd.File))
		check(err == nil && info.IsDir(), p+"file", "the directory of %q must exist", sd.File)
	}
	if sd.EC2Endpoint != "" {
		check(httpURL(sd.EC2Endpoint), p+"ec2_endpoint", "want an http:// or https:// URL with a host, got %q", sd.EC2Endpoint)
	}
	for _, n := range sd.Sidecar.ContainerNames {
		check(strings.TrimSpace(n) != "", p+"sidecar.container_names", "holds an empty name")
	}
	for _, n := range sd.Sidecar.Images {
		check(strings.TrimSpace(n) != "", p+"sidecar.images", "holds an empty image pattern, which would match every container")
	}
	check(sd.Sidecar.Port >= 1 && sd.Sidecar.Port <= 65535, p+"sidecar.port", "must be between 1 and 65535, got %d", sd.Sidecar.Port)
	check(strings.HasPrefix(sd.Sidecar.MetricsPath, "/"), p+"sidecar.metrics_path", "must start with /, got %q", sd.Sidecar.MetricsPath)
}
