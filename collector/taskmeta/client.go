// Package taskmeta reads the ECS task metadata endpoint v4 from inside a task
// (the sidecar mode) and turns /task and /task/stats into the model: CPU,
// memory (usage, working set, limit), network, block I/O, restarts and OOM
// kills per container, and the task's own limits.
package taskmeta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// EnvEndpoint is the variable through which the ECS agent tells every
// container where its task metadata endpoint v4 is.
const EnvEndpoint = "ECS_CONTAINER_METADATA_URI_V4"

// DefaultMaxResponseBytes bounds one response body. A real /task/stats of a
// ten-container task is about 60 KiB; anything near this limit is garbage and
// must not be buffered whole: /task and /task/stats are read at once, and a
// sidecar's whole heap is a few MiB.
const DefaultMaxResponseBytes = 1 << 20

// Client fetches the metadata endpoint. It never retries by itself: the
// scheduler's next run is the retry, so a struggling agent sees at most one
// request per interval.
type Client struct {
	base     string
	http     *http.Client
	maxBytes int64
}

// NewClient returns a Client for the endpoint at base (the value of
// ECS_CONTAINER_METADATA_URI_V4). timeout bounds each request.
func NewClient(base string, timeout time.Duration) *Client {
	transport := &http.Transport{
		// The endpoint is link-local (169.254.170.2); an HTTP_PROXY meant
		// for the application must never be applied to it.
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &Client{
		base:     strings.TrimRight(base, "/"),
		http:     &http.Client{Transport: transport, Timeout: timeout},
		maxBytes: DefaultMaxResponseBytes,
	}
}

// Task fetches /task.
func (c *Client) Task(ctx context.Context) (*taskResponse, error) {
	var tr taskResponse
	if err := c.get(ctx, "/task", &tr); err != nil {
		return nil, err
	}
	if tr.TaskARN == "" {
		return nil, fmt.Errorf("GET %s/task: response has no TaskARN", c.base)
	}
	if err := tr.plausible(); err != nil {
		return nil, fmt.Errorf("GET %s/task: %w", c.base, err)
	}
	return &tr, nil
}

// TaskMemoryLimitBytes returns the task's memory limit from /task, in
// bytes as ecs_task_memory_limit_bytes has it, or 0 where the task has none
// (an EC2 task with limits on its containers only).
func (c *Client) TaskMemoryLimitBytes(ctx context.Context) (float64, error) {
	tr, err := c.Task(ctx)
	if err != nil {
		return 0, err
	}
	if tr.Limits == nil {
		return 0, nil
	}
	return deref(tr.Limits.Memory) * mib, nil
}

// TaskStats fetches /task/stats: Docker stats keyed by Docker ID, each
// still undecoded so that one malformed container cannot hide the others.
func (c *Client) TaskStats(ctx context.Context) (map[string]json.RawMessage, error) {
	var stats map[string]json.RawMessage
	if err := c.get(ctx, "/task/stats", &stats); err != nil {
		return nil, err
	}
	return stats, nil
}

// decodeStats decodes each container's stats. A container whose entry does
// not decode is left out and named in the returned error.
func decodeStats(raw map[string]json.RawMessage) (map[string]*statsResponse, error) {
	out := make(map[string]*statsResponse, len(raw))
	var errs []error
	for id, msg := range raw {
		var st *statsResponse
		err := json.Unmarshal(msg, &st)
		if err == nil && st != nil {
			err = st.plausible()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stats of container %s: %w", id, err))
			continue
		}
		out[id] = st
	}
	return out, errors.Join(errs...)
}

func (c *Client) get(ctx context.Context, path string, v any) error {
	url := c.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %q", url, resp.Status, snippet(body))
	}
	if int64(len(body)) > c.maxBytes {
		return fmt.Errorf("GET %s: %w (limit %d bytes)", url, ErrResponseTooLarge, c.maxBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decode %q: %w", url, snippet(body), err)
	}
	return nil
}

// ErrResponseTooLarge is returned for a body over the client's limit.
var ErrResponseTooLarge = errors.New("response too large")

// snippet is the start of a body, for error messages: enough to tell an HTML
// error page from truncated JSON without logging a whole payload.
func snippet(b []byte) string {
	const n = 64
	b = bytes.TrimSpace(b)
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
