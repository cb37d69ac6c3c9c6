//go:build sidecar

package main

// defaultGCPercent is the Go runtime's GOGC in the sidecar build unless the
// GOGC variable says otherwise: beside an application, ecswatch collects
// garbage at a quarter of the usual heap growth. Its live heap is about 3
// MiB, so this costs a fraction of a millisecond a cycle. (A soft memory limit was
// tried instead and made the GC thrash under bursts of scrapes.)
const defaultGCPercent = 25
