// Package taskdefs describes ECS task definitions, once each: a revision is
// immutable, so the standalone collector's deploy headroom and service
// discovery share one cache and never describe one twice.
package taskdefs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/errgroup"

	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// API is the ECS call the cache makes.
type API interface {
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// Cache holds described task definitions by family:revision.
type Cache struct {
	api      API
	timeout  time.Duration // bounds each call, retries included
	parallel int

	mu       sync.Mutex
	defs     map[string]*types.TaskDefinition
	inflight map[string]chan struct{} // being described; closed when done
	used     map[string]bool          // asked for since the last Sweep
}

// New returns an empty Cache describing through api, each call bounded by
// timeout (none when 0), up to parallel at once (4 when 0).
func New(api API, timeout time.Duration, parallel int) *Cache {
	if parallel <= 0 {
		parallel = 4
	}
	return &Cache{api: api, timeout: timeout, parallel: parallel,
		defs: map[string]*types.TaskDefinition{}, inflight: map[string]chan struct{}{}, used: map[string]bool{}}
}

// Get returns the task definitions named (ARNs or family:revision), by
// family:revision, describing each one not known yet; Gets running at once
// that need the same one share its single call. One that cannot be
// described is left out of the result, is asked again by the next Get, and
// makes err say why.
func (c *Cache) Get(ctx context.Context, names []string) (map[string]*types.TaskDefinition, error) {
	var (
		missing []string // names to describe, one per family:revision
		waitFor []chan struct{}
	)
	c.mu.Lock()
	for _, name := range names {
		key := ecsvocab.TaskDefinition(name)
		if key == "" {
			continue
		}
		if !c.used[key] {
			// Kept past the cycle: a copy, off the decoder's arena (and a
			// map assigned an equal key takes the new one, so once).
			c.used[strings.Clone(key)] = true
		}
		switch ch, inflight := c.inflight[key]; {
		case c.defs[key] != nil:
		case inflight:
			if !slices.Contains(waitFor, ch) {
				waitFor = append(waitFor, ch)
			}
		default:
			c.inflight[key] = make(chan struct{})
			missing = append(missing, name)
		}
	}
	c.mu.Unlock()

	var (
		errMu  sync.Mutex
		failed []error
	)
	g := errgroup.Group{}
	g.SetLimit(c.parallel)
	for _, name := range missing {
		g.Go(func() error {
			key := ecsvocab.TaskDefinition(name)
			td, err := c.describe(ctx, name)
			c.mu.Lock()
			if err == nil {
				c.defs[strings.Clone(key)] = td
			}
			close(c.inflight[key])
			delete(c.inflight, key)
			c.mu.Unlock()
			if err != nil {
				errMu.Lock()
				failed = append(failed, fmt.Errorf("%s: %w", key, err))
				errMu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	for _, ch := range waitFor {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	out := make(map[string]*types.TaskDefinition, len(names))
	c.mu.Lock()
	for _, name := range names {
		key := ecsvocab.TaskDefinition(name)
		if td := c.defs[key]; td != nil {
			out[key] = td
		}
	}
	c.mu.Unlock()
	if len(failed) > 0 {
		return out, fmt.Errorf("describe %d task definitions: %w", len(failed), errors.Join(failed...))
	}
	return out, nil
}

func (c *Cache) describe(ctx context.Context, name string) (*types.TaskDefinition, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	out, err := c.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: &name})
	if err != nil {
		return nil, fmt.Errorf("describe task definition: %w", err)
	}
	if out.TaskDefinition == nil {
		return nil, errors.New("describe task definition: empty answer")
	}
	return out.TaskDefinition, nil
}

// Sweep forgets the task definitions no Get asked for since the previous
// Sweep, so that a long-running daemon does not keep every revision it ever
// saw; one still in use is asked for every cycle and stays.
func (c *Cache) Sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.defs {
		if !c.used[key] {
			delete(c.defs, key)
		}
	}
	clear(c.used)
}
