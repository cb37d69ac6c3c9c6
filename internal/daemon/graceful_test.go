package daemon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/sim"
)

// TestGracefulStopLosesNoEvent: OOM kills arrive on the queue throughout
// while one events replica is stopped gracefully and its successor starts.
// Every kill is counted exactly once across the two, as their scrapes show:
// what the stopping replica applied is either scraped from it (and then
// deleted) or left in the queue for its successor (and then counted there).
func TestGracefulStopLosesNoEvent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		scrapeInterval time.Duration
		linger         time.Duration
	}{
		// The final state is scraped within the linger: the stopping
		// replica's count is final, and it deletes what it counted.
		{"scraped every second, 2s linger", time.Second, 2 * time.Second},
		// No scrape after the stop: what the last scrape did not see stays
		// in the queue for the successor.
		{"scraped every 3s, no linger", 3 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gracefulStop(t, tc.scrapeInterval, tc.linger)
		})
	}
}

func gracefulStop(t *testing.T, scrapeInterval, linger time.Duration) {
	fake := sim.NewSQS()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	queue := fake.CreateQueue(srv.URL, "events", 3*time.Second)
	var kills []string
	for _, body := range sim.ShopEvents("eu-west-1", time.Now())(0, sim.FirstTaskOOM+59*sim.TaskOOMEvery) {
		if strings.Contains(body, "OutOfMemoryError") {
			kills = append(kills, body)
		}
	}
	if len(kills) != 60 {
		t.Fatalf("%d kills scripted, want 60", len(kills))
	}
	replica := func() *running {
		return start(t, time.Hour, sim.DefaultSchedule, func(c *config.Config) {
			off := false
			c.Sidecar.Enabled = &off
			c.Events.Enabled, c.Events.Endpoint, c.Events.Region, c.Events.QueueURL = true, srv.URL, "eu-west-1", queue
			// Messages wait up to 4s for an export, longer than the time
			// between scrapes.
			c.Events.WaitTime, c.Events.VisibilityTimeout = config.Duration(time.Second), config.Duration(8*time.Second)
			c.ShutdownLinger = config.Duration(linger)
		})
	}
	const oom = "ecs_container_oom_kills_total"
	count := func(body string) float64 { return max(0, value(body, oom, `source="standalone"`)) }

	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for _, body := range kills {
			fake.Send("events", body)
			time.Sleep(40 * time.Millisecond)
		}
	}()

	// The stopping replica, scraped like Prometheus would.
	a := replica()
	var (
		mu       sync.Mutex
		lastSeen float64
	)
	scraping := make(chan struct{})
	stopScraper := make(chan struct{})
	go func() {
		defer close(scraping)
		for {
			if body, err := tryScrape(a.url); err == nil {
				mu.Lock()
				lastSeen = count(body)
				mu.Unlock()
			}
			select {
			case <-stopScraper:
				return
			case <-time.After(scrapeInterval):
			}
		}
	}()
	// Stop between two scrapes, with kills still arriving.
	time.Sleep(time.Second)
	select {
	case <-sent:
		t.Fatal("every kill was sent before the stop")
	default:
	}
	if err := a.stop(); err != nil {
		t.Errorf("stopping replica: %v", err)
	}
	close(stopScraper)
	<-scraping
	<-sent

	b := replica()
	b.waitUntil(t, "the successor drains the queue", func(body string) bool {
		return fake.Depth("events") == 0 && count(body) > 0
	})
	mu.Lock()
	fromA := lastSeen
	mu.Unlock()
	fromB := count(b.scrape(t))
	if fromA+fromB != float64(len(kills)) {
		t.Errorf("kills counted: %v by the stopping replica (last scrape) + %v by its successor = %v, want %d exactly once",
			fromA, fromB, fromA+fromB, len(kills))
	}
}

// tryScrape is one scrape of url's /metrics, for scrapers that run beside
// the test and may find the daemon gone.
func tryScrape(url string) (string, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestStopWithEventsFitsItsBudget: with a 20s long poll and a 5s shutdown
// budget, a stop neither waits for a receive nor runs the push exporters'
// flush on an expired budget: it returns at once, without error.
func TestStopWithEventsFitsItsBudget(t *testing.T) {
	t.Parallel()
	fake := sim.NewSQS()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	queue := fake.CreateQueue(srv.URL, "events", time.Minute)
	r := start(t, time.Hour, sim.DefaultSchedule, func(c *config.Config) {
		c.Events.Enabled, c.Events.Endpoint, c.Events.Region, c.Events.QueueURL = true, srv.URL, "eu-west-1", queue
		c.Events.WaitTime = config.Duration(20 * time.Second)
	})
	r.waitFor(t, "events consumer polling", `ecswatch_collector_up{collector="taskmeta"} 1`)
	time.Sleep(200 * time.Millisecond) // the consumer is inside its long poll
	stopped := time.Now()
	if err := r.stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	// The budget is 5s; the linger waits up to 2s for a scrape only once
	// /metrics has been scraped, as it was above.
	if took := time.Since(stopped); took > 3*time.Second {
		t.Errorf("stop took %s: it waited on the long poll", took)
	}
}
