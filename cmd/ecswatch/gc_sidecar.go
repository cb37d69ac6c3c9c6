//go:build sidecar

package main

// defaultGCPercent is the Go runtime's GOGC in the sidecar build unless the
// GOGC variable says otherwise: beside an application, ecswatch collects
// garbage at a quarter of the usual heap growth. Its live heap is about 3
// MiB, so this costs a fraction of a millisecond a cycle. (A soft memory limit was
// tried instead and made the GC thrash under bursts of scrapes.)
const defaultGCPercent = 25

// defaultMaxProcs is GOMAXPROCS in the sidecar build unless the GOMAXPROCS
// variable says otherwise. The sidecar's work is a poll every few seconds,
// a 2 ms render per snapshot and scrapes that copy bytes: one processor
// does it, and each one more costs its thread, caches and GC worker, about
// half a MiB of the sidecar's 15 (scripts/bench.sh).
const defaultMaxProcs = 1
