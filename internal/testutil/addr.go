package testutil

import (
	"net"
	"testing"
)

// FreeAddr returns host:port with a port nothing listens on now, for a
// process the test starts on a known address. The test is skipped where
// host is not available (an IPv6 loopback on an IPv4-only machine).
func FreeAddr(t testing.TB, host string) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("no %s here: %v", host, err)
	}
	defer l.Close()
	return l.Addr().String()
}
