//go:build !sidecar

package main

// defaultGCPercent is the Go runtime's GOGC in the full build unless the
// GOGC variable says otherwise: 75, as Prometheus has set since v2.53
// (prometheus/prometheus#14288). A standalone daemon's live heap swings by
// half within a cycle (clusters decoded, targets rendered, Container
// Insights merged, /metrics encoded), and GOGC 100 lets the heap grow to
// twice its top: at ten thousand services that was 50 MiB more peak RSS,
// for a garbage collector that takes about 1% of a cycle's CPU
// (scripts/bench.sh).
const defaultGCPercent = 75

// defaultMaxProcs: the full build leaves the Go runtime's default alone.
const defaultMaxProcs = 0
