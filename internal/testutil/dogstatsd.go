package testutil

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Agent is a fake Datadog Agent: it reads DogStatsD datagrams from a real
// socket and keeps their lines.
type Agent struct {
	mu    sync.Mutex
	lines []string
}

// ListenDogStatsD starts an Agent on a socket of network (udp, unixgram) at
// address, closed when the test ends, and returns it with its address.
func ListenDogStatsD(t testing.TB, network, address string) (*Agent, string) {
	t.Helper()
	conn, err := net.ListenPacket(network, address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// A burst (a push of every series and the events at shutdown) must not
	// overflow the socket's buffer while the reader catches up.
	if rb, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
		_ = rb.SetReadBuffer(8 << 20)
	}
	a := &Agent{}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			a.mu.Lock()
			for _, l := range strings.Split(strings.TrimSpace(string(buf[:n])), "\n") {
				if l != "" {
					a.lines = append(a.lines, l)
				}
			}
			a.mu.Unlock()
		}
	}()
	return a, conn.LocalAddr().String()
}

// Take waits until the agent is quiet for a moment and returns the lines it
// got since the last Take.
func (a *Agent) Take() []string {
	n := -1
	for {
		time.Sleep(50 * time.Millisecond)
		a.mu.Lock()
		if len(a.lines) == n {
			out := a.lines
			a.lines = nil
			a.mu.Unlock()
			return out
		}
		n = len(a.lines)
		a.mu.Unlock()
	}
}
