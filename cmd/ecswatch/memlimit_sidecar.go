//go:build sidecar

package main

import "log/slog"

// setMemoryLimit does nothing in the sidecar build: its live heap is a few
// MiB, held there by GOGC=25 (gc_sidecar.go), so a limit at nine tenths of
// its container's memory would never be reached, and the library that
// reads the cgroup costs resident pages the sidecar's budget counts. The
// flags are accepted all the same: the full image hands the sidecar role
// over with its own arguments.
func setMemoryLimit(float64, *slog.Logger) {}
