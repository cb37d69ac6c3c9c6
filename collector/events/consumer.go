package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Name is the collector's name in ecswatch_collector_* series.
const Name = "events"

// ReceivedMetric is the Store counter of messages received, by detail-type.
const ReceivedMetric = "ecswatch_events_received_total"

// Invalid labels messages that are not ECS events ecswatch can read.
const Invalid = ecsvocab.DetailTypeInvalid

// DefaultVisibilityTimeout is asked for on every receive unless configured:
// long enough for an applied message to wait for the next scrape (see
// Options.HoldForExport), short enough for a crashed consumer's messages to
// come back soon.
const DefaultVisibilityTimeout = 2 * time.Minute

// Options configure the consumer.
type Options struct {
	QueueURL string
	// WaitTime is the long poll (at most 20s).
	WaitTime time.Duration
	// VisibilityTimeout hides a received message from other consumers
	// while it is applied; zero keeps the queue's setting.
	VisibilityTimeout time.Duration
	// MaxMessages per receive (at most 10).
	MaxMessages int
	// HoldForExport is how long an applied message waits, undeleted, for an
	// exporter to deliver its effect before it is deleted anyway. Keep it
	// below the queue's visibility timeout, or the message is received
	// again (which counts nothing twice in this process). Zero deletes at
	// once.
	HoldForExport time.Duration
}

// Consumer receives ECS events from SQS and applies them to the Store. Each
// Collect is one long poll: the scheduler runs it back to back, and backs off
// when SQS fails.
//
// Delivery guarantees come from SQS: a message is deleted only once an
// exporter has delivered the state that includes its events (a scrape was
// served it, a push sent it), or HoldForExport has passed. A consumer that
// dies, or stops, before then loses nothing: the message becomes visible
// again and the next consumer applies it. Several consumers of one queue
// each apply a message only while it is hidden from the others. Applying is
// idempotent (events are counted once per ID), so a redelivery to the same
// process changes nothing.
type Consumer struct {
	client *sqs.Client
	store  *collector.Store
	logger *slog.Logger
	opts   Options

	now func() time.Time

	mu         sync.Mutex
	badLogged  map[string]bool // message IDs already logged as invalid
	skipDelete bool            // tests: die between apply and delete
	pending    []pendingBatch  // applied, waiting for an exporter
}

// pendingBatch is one received batch whose events are in the Store and whose
// messages are not deleted yet.
type pendingBatch struct {
	entries  []types.DeleteMessageBatchRequestEntry
	applied  time.Time // the snapshot that holds its events
	received time.Time
}

// New returns a Consumer.
func New(client *sqs.Client, store *collector.Store, logger *slog.Logger, opts Options) *Consumer {
	if opts.MaxMessages <= 0 || opts.MaxMessages > 10 {
		opts.MaxMessages = 10
	}
	return &Consumer{client: client, store: store, logger: logger, opts: opts, now: time.Now, badLogged: map[string]bool{}}
}

// Name implements collector.Collector.
func (c *Consumer) Name() string { return Name }

// pendingWait is the long poll while applied messages wait for an export:
// short, so that they are deleted soon after it.
const pendingWait = time.Second

// Collect deletes what has been exported, then receives one batch and
// applies it.
func (c *Consumer) Collect(ctx context.Context) error {
	if err := c.deleteDone(ctx, false); err != nil {
		return err
	}
	wait := c.opts.WaitTime
	if c.hasPending() {
		wait = min(wait, pendingWait)
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    &c.opts.QueueURL,
		MaxNumberOfMessages:         int32(c.opts.MaxMessages),
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	}
	if c.opts.VisibilityTimeout > 0 {
		in.VisibilityTimeout = int32(c.opts.VisibilityTimeout / time.Second)
	}
	out, err := c.client.ReceiveMessage(ctx, in)
	if err != nil {
		return fmt.Errorf("receive from %s: %w", c.opts.QueueURL, err)
	}
	// The batch is parsed first and recorded in one go: each Store change
	// publishes a whole snapshot, which per message would cost more than the
	// message itself at high event rates.
	var (
		done     []types.DeleteMessageBatchRequestEntry
		received = map[string]uint64{}
		events   []collector.Event
	)
	for i, m := range out.Messages {
		detailType, evs, ok := c.parse(m)
		received[ecsvocab.DetailTypeLabel(detailType)]++
		if ok {
			events = append(events, evs...)
			done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	fresh, applied := c.store.Apply(Name, collector.Contribution{
		Counts: map[string]map[string]uint64{ReceivedMetric: received}, Events: events,
	})
	for _, ev := range fresh {
		collector.LogEvent(c.logger, ev)
	}
	if len(done) == 0 || c.skipDelete {
		return nil
	}
	c.mu.Lock()
	c.pending = append(c.pending, pendingBatch{entries: done, applied: applied, received: c.now()})
	c.mu.Unlock()
	return c.deleteDone(ctx, false)
}

// CollectFinal is the last collection on shutdown: it takes nothing new from
// the queue (a message received now could not be exported before the
// process ends) and deletes what has been exported.
func (c *Consumer) CollectFinal(ctx context.Context) error { return c.deleteDone(ctx, false) }

// Flush runs once the exporters have delivered the final state: it deletes
// what they delivered and leaves the rest to become visible again for the
// next consumer, which will count it.
func (c *Consumer) Flush(ctx context.Context) error {
	err := c.deleteDone(ctx, true)
	c.mu.Lock()
	left := 0
	for _, b := range c.pending {
		left += len(b.entries)
	}
	c.mu.Unlock()
	if left > 0 {
		c.logger.Info("left applied messages in the queue for the next consumer: no exporter delivered them", "messages", left)
	}
	return err
}

func (c *Consumer) hasPending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0
}

// deleteDone deletes the pending batches an exporter has delivered and,
// unless stopping, those held past HoldForExport. A message whose delete
// fails comes back and is applied again, which changes nothing: deleting is
// the last step, never a condition.
func (c *Consumer) deleteDone(ctx context.Context, stopping bool) error {
	exported, now := c.store.ExportedThrough(), c.now()
	c.mu.Lock()
	var due []pendingBatch
	keep := c.pending[:0]
	for _, b := range c.pending {
		if !b.applied.After(exported) || (!stopping && now.Sub(b.received) >= c.opts.HoldForExport) {
			due = append(due, b)
		} else {
			keep = append(keep, b)
		}
	}
	c.pending = keep
	c.mu.Unlock()

	var errs []error
	for _, b := range due {
		res, err := c.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &c.opts.QueueURL, Entries: b.entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("delete %d applied messages: %w", len(b.entries), err))
			continue
		}
		if len(res.Failed) > 0 {
			f := res.Failed[0]
			errs = append(errs, fmt.Errorf("delete %d of %d applied messages failed, first: %s: %s", len(res.Failed), len(b.entries), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}

// parse parses one message into its events. It returns the detail type to
// count it under (Invalid for a message that does not parse) and whether it
// may be deleted once its events are recorded.
func (c *Consumer) parse(m types.Message) (detailType string, evs []collector.Event, ok bool) {
	id := aws.ToString(m.MessageId)
	env, evs, err := Parse([]byte(aws.ToString(m.Body)))
	if err != nil {
		// Left undeleted: the queue's redrive policy moves it to the DLQ
		// after maxReceiveCount receives. Logged once, without the body.
		c.mu.Lock()
		first := !c.badLogged[id]
		if len(c.badLogged) > 10000 {
			clear(c.badLogged)
		}
		c.badLogged[id] = true
		c.mu.Unlock()
		if first {
			c.logger.Warn("invalid message left for the dead-letter queue", "message_id", id, "err", err)
		}
		return Invalid, nil, false
	}
	c.logger.Debug("message parsed", "message_id", id, "event_id", env.ID, "detail_type", env.DetailType, "events", len(evs))
	return env.DetailType, evs, true
}
