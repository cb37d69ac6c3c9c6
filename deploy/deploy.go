// Package deploy holds ready-to-use deployment files; its tests keep them
// honest against the code. The alert rules are also embedded, so that the
// demo can hand a local Prometheus exactly the rules that ship.
package deploy

import _ "embed"

// AlertRules is deploy/prometheus/alerts.yml.
//
//go:embed prometheus/alerts.yml
var AlertRules []byte

// ServiceDiscoveryConfig is deploy/prometheus/ecs-sd.yml, the Prometheus
// configuration that scrapes what the standalone daemon discovers.
//
//go:embed prometheus/ecs-sd.yml
var ServiceDiscoveryConfig []byte
