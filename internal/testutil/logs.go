package testutil

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
)

// Logs collects log output from concurrent goroutines, for tests that assert
// what was logged.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Count is how many times s occurs in the log.
func (l *Logs) Count(s string) int { return strings.Count(l.String(), s) }

// Logger returns a text logger writing to l.
func (l *Logs) Logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
