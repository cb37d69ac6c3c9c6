//go:build !sidecar

package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// sidecarBinary is the name the full image gives the sidecar build, beside
// the full one.
const sidecarBinary = "ecswatch-sidecar"

// besideThis is where the sidecar build would be: next to this executable.
func besideThis() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(exe), sidecarBinary)
}

// handOff replaces this process with the sidecar build at path, with the
// same arguments and environment, so that one image serves both roles at
// the sidecar's footprint: the full build's packages (the AWS SDK, gRPC,
// OpenTelemetry) cost about 14 MiB of resident memory even unused, most of
// it pages their initialisation touches. It returns only when there is no
// sidecar build there or it cannot be run; the full build then goes on.
func handOff(path string, args []string, logger *slog.Logger) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		return
	}
	logger.Info("sidecar role: handing over to the sidecar build beside this binary, for its smaller footprint", "binary", path)
	err := syscall.Exec(path, append([]string{path}, args...), os.Environ())
	logger.Warn("cannot hand over to the sidecar build; the full build goes on", "binary", path, "err", err)
}
