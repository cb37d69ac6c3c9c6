// Command rssattr attributes a running Go program's resident executable pages
// to the packages whose code and data they hold, so that the cost of linking a
// package (mostly the pages its initialisation and steady state touch) can be
// seen and cut:
//
//	go run ./internal/tools/rssattr -pid 1234 -binary dist/ecswatch-sidecar.syms
//
// The binary must be the running program built with its symbol table (the
// daemon ships stripped with -s -w; build the same flags without them: the
// loaded sections keep their addresses). Resident pages come from
// /proc/PID/pagemap, which needs the same user or root.
package main

import (
	"bufio"
	"cmp"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	pid := flag.Int("pid", 0, "process to inspect")
	bin := flag.String("binary", "", "the running executable, built with its symbol table")
	top := flag.Int("top", 25, "packages to list")
	flag.Parse()
	if err := run(os.Stdout, *pid, *bin, *top); err != nil {
		fmt.Fprintln(os.Stderr, "rssattr:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, pid int, bin string, top int) error {
	if pid == 0 || bin == "" {
		return errors.New("-pid and -binary are required")
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("open %s: %w", bin, err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return fmt.Errorf("symbols of %s (built with -s?): %w", bin, err)
	}
	syms = slices.DeleteFunc(syms, func(s elf.Symbol) bool { return s.Size == 0 || s.Section == elf.SHN_UNDEF })
	slices.SortFunc(syms, func(a, b elf.Symbol) int { return cmp.Compare(a.Value, b.Value) })

	pages, err := residentPages(pid)
	if err != nil {
		return err
	}
	pageSize := uint64(os.Getpagesize())
	byPkg := map[string]uint64{}
	bySection := map[string]uint64{}
	var total uint64
	for _, p := range pages {
		total += pageSize
		sec := sectionOf(f, p)
		bySection[sec] += pageSize
		// A page is split between the symbols in it, by bytes; bytes that no
		// symbol covers go to the section (pclntab, padding).
		covered := uint64(0)
		i, _ := slices.BinarySearchFunc(syms, p, func(s elf.Symbol, a uint64) int {
			return cmp.Compare(s.Value+s.Size, a+1)
		})
		for ; i < len(syms) && syms[i].Value < p+pageSize; i++ {
			lo, hi := max(syms[i].Value, p), min(syms[i].Value+syms[i].Size, p+pageSize)
			if hi > lo {
				byPkg[packageOf(syms[i].Name)] += hi - lo
				covered += hi - lo
			}
		}
		if covered < pageSize {
			byPkg["("+sec+")"] += pageSize - covered
		}
	}
	fmt.Fprintf(w, "resident executable pages: %.1f MiB\n\nby section:\n", mib(total))
	for _, kv := range sorted(bySection) {
		fmt.Fprintf(w, "  %8.0f KiB  %s\n", float64(kv.v)/1024, kv.k)
	}
	fmt.Fprintf(w, "\nby package (top %d):\n", top)
	for i, kv := range sorted(byPkg) {
		if i == top {
			break
		}
		fmt.Fprintf(w, "  %8.0f KiB  %s\n", float64(kv.v)/1024, kv.k)
	}
	return nil
}

// residentPages lists the start addresses of the resident pages of the
// process's executable mappings (its binary's text, rodata and data).
func residentPages(pid int) ([]uint64, error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, fmt.Errorf("executable of %d: %w", pid, err)
	}
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, err
	}
	defer maps.Close()
	pm, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	pageSize := uint64(os.Getpagesize())
	var pages []uint64
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad maps line %q", sc.Text())
		}
		buf := make([]byte, (end-start)/pageSize*8)
		if _, err := pm.ReadAt(buf, int64(start/pageSize*8)); err != nil {
			return nil, fmt.Errorf("pagemap of %d: %w", pid, err)
		}
		for i := range (end - start) / pageSize {
			if binary.LittleEndian.Uint64(buf[i*8:])&(1<<63) != 0 {
				pages = append(pages, start+i*pageSize)
			}
		}
	}
	return pages, sc.Err()
}

func sectionOf(f *elf.File, addr uint64) string {
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && addr >= s.Addr && addr < s.Addr+s.Size {
			return s.Name
		}
	}
	return "other"
}

// packageOf returns the import path of the package a Go symbol belongs to:
// "github.com/a/b.(*T).M" is github.com/a/b; type descriptors and strings
// are grouped by kind.
func packageOf(sym string) string {
	if kind, _, ok := strings.Cut(sym, ":"); ok && (kind == "type" || kind == "go") {
		return kind + ":*"
	}
	slash := strings.LastIndexByte(sym, '/')
	if dot := strings.IndexByte(sym[slash+1:], '.'); dot >= 0 {
		return sym[:slash+1+dot]
	}
	return sym
}

type entry struct {
	k string
	v uint64
}

func sorted(m map[string]uint64) []entry {
	out := make([]entry, 0, len(m))
	for k, v := range m {
		out = append(out, entry{k, v})
	}
	slices.SortFunc(out, func(a, b entry) int { return cmp.Or(cmp.Compare(b.v, a.v), cmp.Compare(a.k, b.k)) })
	return out
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
