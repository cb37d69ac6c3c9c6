//go:build sidecar

package main

import (
	"fmt"
	"io"
)

// The sidecar build carries no simulator: demo and simulate are for the full
// build.

func demo(_ flags, _ string, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ecswatch: demo is not in the sidecar build; use the full build")
	return 2
}

// simOptions are the full build's simulate flags.
type simOptions struct{}

func simulate(_ simOptions, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ecswatch: simulate is not in the sidecar build; use the full build")
	return 2
}
