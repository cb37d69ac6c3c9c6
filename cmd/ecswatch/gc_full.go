//go:build !sidecar

package main

// defaultGCPercent: the full build leaves the Go runtime's default alone.
const defaultGCPercent = 0

// defaultMaxProcs: the full build leaves the Go runtime's default alone.
const defaultMaxProcs = 0
