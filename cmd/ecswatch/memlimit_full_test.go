//go:build !sidecar

package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// A container without a memory limit of its own, in a task with one: the
// soft memory limit comes from the task's, as the task metadata endpoint
// tells it.
func TestTaskMemoryLimitWhereTheContainerHasNone(t *testing.T) {
	t.Parallel()
	const arn = `"TaskARN": "arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef"`
	tests := []struct {
		name   string
		status int
		body   string
		want   uint64
		noLim  bool // memlimit.ErrNoLimit: nothing to set
		fails  bool
	}{
		{"Fargate task of 512 MiB", 200, `{` + arn + `, "Limits": {"CPU": 0.25, "Memory": 512}}`, 512 << 20, false, false},
		{"EC2 task with container limits only", 200, `{` + arn + `, "Limits": {"CPU": 0.5}}`, 0, true, false},
		{"no limits at all", 200, `{` + arn + `}`, 0, true, false},
		{"endpoint failing", 500, `oops`, 0, false, true},
		{"not a task", 200, `{}`, 0, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/task" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			got, err := taskMemoryLimit(srv.URL, time.Second)()
			switch {
			case tc.noLim:
				if !errors.Is(err, memlimit.ErrNoLimit) {
					t.Errorf("got %d, %v; want memlimit.ErrNoLimit", got, err)
				}
			case tc.fails:
				if err == nil || errors.Is(err, memlimit.ErrNoLimit) {
					t.Errorf("got %d, %v; want an error", got, err)
				}
			default:
				if err != nil || got != tc.want {
					t.Errorf("got %d, %v; want %d", got, err, tc.want)
				}
			}
		})
	}
}
