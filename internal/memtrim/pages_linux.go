package memtrim

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ReleaseStartupPages unmaps the executable's read-only pages from the
// process: its code, constants and function tables. They stay in the page
// cache, so the pages the process still uses come back on their next touch
// as minor faults, and the ones only start-up used no longer count in its
// resident memory. It returns the resident bytes it unmapped.
//
// Only mappings that are read-only and hold no private copy of a page are
// released: for a private file mapping, MADV_DONTNEED re-reads the file,
// which is safe for pages never written and would discard what was (a
// debugger's breakpoints in the code).
func ReleaseStartupPages() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("finding the executable: %w", err)
	}
	mappings, err := readOnlyMappings("/proc/self/smaps", exe)
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range mappings {
		// The address is the kernel's, from smaps: no Go pointer is made
		// of it.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, syscall.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("madvise %#x-%#x: %w", m.start, m.end, errno)
		}
		released += m.rss
	}
	return released, nil
}

// mapping is one line of /proc/PID/smaps with the fields ReleaseStartupPages
// needs.
type mapping struct {
	start, end uintptr
	rss        int64 // bytes
	clean      bool  // no page of it is a private (written) copy
}

// readOnlyMappings returns the mappings of path in an smaps file that are
// neither writable nor hold a written page.
func readOnlyMappings(smaps, path string) ([]mapping, error) {
	f, err := os.Open(smaps)
	if err != nil {
		return nil, fmt.Errorf("reading mappings: %w", err)
	}
	defer f.Close()
	var (
		out []mapping
		cur *mapping
	)
	done := func() {
		if cur != nil && cur.clean {
			out = append(out, *cur)
		}
		cur = nil
	}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if key, ok := strings.CutSuffix(fields[0], ":"); ok {
			// A field of the current mapping: "Rss:   123 kB".
			if cur == nil || len(fields) < 2 {
				continue
			}
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				continue // VmFlags and the like
			}
			switch key {
			case "Rss":
				cur.rss = kb << 10
			case "Anonymous":
				// Pages written to in a private mapping are anonymous
				// copies. (Private_Dirty would also count page-cache
				// pages not yet written back, as a freshly built
				// binary's are.)
				if kb != 0 {
					cur.clean = false
				}
			}
			continue
		}
		// A mapping's header: "start-end perms offset dev inode path".
		done()
		if len(fields) < 6 || strings.Join(fields[5:], " ") != path || strings.ContainsRune(fields[1], 'w') {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("reading mappings: bad address range %q", fields[0])
		}
		cur = &mapping{start: uintptr(start), end: uintptr(end), clean: true}
	}
	done()
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading mappings: %w", err)
	}
	return out, nil
}
