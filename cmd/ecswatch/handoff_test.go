//go:build !sidecar

package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullBuildHandsTheSidecarRoleOver: the full image ships the sidecar
// build beside the full one; in the sidecar role the full build execs it
// with the same arguments and environment, and without it goes on itself.
func TestFullBuildHandsTheSidecarRoleOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sidecar := filepath.Join(dir, sidecarBinary)
	if err := os.WriteFile(sidecar, []byte("#!/bin/sh\necho \"$0 $*\"\necho \"$ECSWATCH_SIDECAR_INTERVAL\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"sidecar build beside", sidecar, sidecar + " run --web.listen-address=:9787\n10s\n"},
		{"no sidecar build beside", filepath.Join(dir, "none", sidecarBinary), "went on\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHandOffHelper$")
			cmd.Env = append(os.Environ(), "HANDOFF_TO="+tt.path, "ECSWATCH_SIDECAR_INTERVAL=10s")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got := strings.TrimPrefix(string(out), "PASS\n"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("ran:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

// TestHandOffHelper is the process TestFullBuildHandsTheSidecarRoleOver
// starts: it hands off, or prints that it went on.
func TestHandOffHelper(t *testing.T) {
	path := os.Getenv("HANDOFF_TO")
	if path == "" {
		t.Skip("run by TestFullBuildHandsTheSidecarRoleOver")
	}
	handOff(path, []string{"run", "--web.listen-address=:9787"}, slog.New(slog.DiscardHandler))
	fmt.Println("went on")
}
