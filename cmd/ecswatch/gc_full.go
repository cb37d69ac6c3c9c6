//go:build !sidecar

package main

// defaultGCPercent is the Go runtime's GOGC in the full build unless the
// GOGC variable says otherwise. A standalone daemon's live heap swings by
// half within a cycle (clusters decoded, targets rendered, Container
// Insights merged, /metrics encoded), and GOGC lets the heap grow to
// 1+GOGC/100 times its top. Prometheus has set 75 since v2.53
// (prometheus/prometheus#14288); at ten times the large cluster, 75 peaked
// at 287 and 307 MiB RSS against a 300 MiB budget, and 50 at 245 and 264,
// and the daemon's CPU over a run rose no more than its run-to-run noise
// (two runs of each, in scripts/bench.sh's 10x setup). The sidecar
// build's is in gc_sidecar.go.
const defaultGCPercent = 50

// defaultMaxProcs: the full build leaves the Go runtime's default alone.
const defaultMaxProcs = 0
