package memtrim

import (
	"os"
	"testing"
)

func TestReadOnlyMappingsOfTheExecutable(t *testing.T) {
	t.Parallel()
	got, err := readOnlyMappings("testdata/smaps", "/app/ecswatch")
	if err != nil {
		t.Fatal(err)
	}
	// Not the writable data, not the code page a debugger wrote to, not
	// another file's, not the heap.
	want := []mapping{
		{start: 0x400000, end: 0x8c7000, rss: 4380 << 10, clean: true},
		{start: 0x8c7000, end: 0xde7000, rss: 4608 << 10, clean: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReadOnlyMappingsOfAMissingFile(t *testing.T) {
	t.Parallel()
	if _, err := readOnlyMappings("testdata/absent", "/app/ecswatch"); err == nil {
		t.Fatal("no error for a missing smaps file")
	}
}

// Releasing this test binary's own pages leaves it running: the code it
// runs next comes back from the page cache.
func TestReleasingTheStartupPagesKeepsTheProcessRunning(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc here")
	}
	released, err := ReleaseStartupPages()
	if err != nil {
		t.Fatal(err)
	}
	if released <= 0 {
		t.Errorf("released %d bytes, want the resident code of this binary", released)
	}
	// Code and constants the release unmapped, used again.
	if got := fib(20); got != 6765 {
		t.Errorf("fib(20) = %d after the release", got)
	}
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}
