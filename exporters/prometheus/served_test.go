package prometheus

import (
	"context"
	"testing"
	"time"

	"github.com/ecswatch/ecswatch/collector"
)

// What a stopping daemon and the sidecar's memory trim ask of Served: was
// it scraped, when last, and has a scrape seen a given snapshot.
func TestServedBeforeAndAfterTheFirstScrape(t *testing.T) {
	t.Parallel()
	var told []time.Time
	s := NewServed(func(p time.Time) { told = append(told, p) })
	if s.Scraped() || !s.Last().IsZero() {
		t.Fatalf("before any scrape: scraped %v, last %v", s.Scraped(), s.Last())
	}
	published := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	before := time.Now()
	s.record(published)
	if !s.Scraped() || s.Last().Before(before) {
		t.Errorf("after a scrape: scraped %v, last %v (scraped after %v)", s.Scraped(), s.Last(), before)
	}
	if len(told) != 1 || !told[0].Equal(published) {
		t.Errorf("onServed told %v, want [%v]", told, published)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if !s.Wait(ctx, &collector.Snapshot{Time: published}) {
		t.Error("Wait: the scraped snapshot not seen")
	}
	if s.Wait(ctx, &collector.Snapshot{Time: published.Add(time.Second)}) {
		t.Error("Wait: a later snapshot seen before any scrape served it")
	}
}
