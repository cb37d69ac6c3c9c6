package main

import (
	"os"
	"strings"
	"testing"
)

func TestPackageOf(t *testing.T) {
	t.Parallel()
	for sym, want := range map[string]string{
		"github.com/ecswatch/ecswatch/collector.(*Store).Apply": "github.com/ecswatch/ecswatch/collector",
		"net/http.(*conn).serve":                                "net/http",
		"runtime.mallocgc":                                      "runtime",
		"type:*net/http.Request":                                "type:*",
		"go:string.*":                                           "go:*",
		"main.main":                                             "main",
	} {
		if got := packageOf(sym); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

// TestAttributesItsOwnProcess reads this test binary's own resident pages:
// the runtime is always among them.
func TestAttributesItsOwnProcess(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	var out strings.Builder
	if err := run(&out, os.Getpid(), exe, 50); err != nil {
		t.Skipf("no pagemap here: %v", err)
	}
	for _, want := range []string{"resident executable pages", ".text", "runtime"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
