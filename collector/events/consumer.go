package events

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/ecswatch/ecswatch/collector"
)

// Name is the collector's name in ecswatch_collector_* series.
const Name = "events"

// ReceivedMetric is the Store counter of messages received, by detail-type.
const ReceivedMetric = "ecswatch_events_received_total"

// Invalid labels messages that are not ECS events ecswatch can read.
const Invalid = "invalid"

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
}

// Consumer receives ECS events from SQS and applies them to the Store. Each
// Collect is one long poll: the scheduler runs it back to back, and backs off
// when SQS fails.
//
// Delivery guarantees come from SQS: a message is deleted only after its
// events are in the Store, so a consumer that dies mid-batch loses nothing
// (the message becomes visible again), and several consumers of one queue
// each apply a message only while it is hidden from the others. Applying is
// idempotent (events are counted once per ID), so a redelivery changes
// nothing.
type Consumer struct {
	client *sqs.Client
	store  *collector.Store
	logger *slog.Logger
	opts   Options

	mu         sync.Mutex
	badLogged  map[string]bool // message IDs already logged as invalid
	skipDelete bool            // tests: die between apply and delete
}

// New returns a Consumer.
func New(client *sqs.Client, store *collector.Store, logger *slog.Logger, opts Options) *Consumer {
	if opts.MaxMessages <= 0 || opts.MaxMessages > 10 {
		opts.MaxMessages = 10
	}
	return &Consumer{client: client, store: store, logger: logger, opts: opts, badLogged: map[string]bool{}}
}

// Name implements collector.Collector.
func (c *Consumer) Name() string { return Name }

// Collect receives one batch, applies it and deletes what was applied.
func (c *Consumer) Collect(ctx context.Context) error {
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    &c.opts.QueueURL,
		MaxNumberOfMessages:         int32(c.opts.MaxMessages),
		WaitTimeSeconds:             int32(c.opts.WaitTime / time.Second),
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
		received[detailType]++
		if ok {
			events = append(events, evs...)
			done = append(done, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	c.store.CountByLabel(ReceivedMetric, received)
	for _, ev := range c.store.Record(events...) {
		collector.LogEvent(c.logger, ev)
	}
	if len(done) == 0 || c.skipDelete {
		return nil
	}
	// A message whose delete fails comes back and is applied again, which
	// changes nothing: deleting is the last step, never a condition.
	res, err := c.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &c.opts.QueueURL, Entries: done})
	if err != nil {
		return fmt.Errorf("delete %d applied messages: %w", len(done), err)
	}
	if len(res.Failed) > 0 {
		f := res.Failed[0]
		return fmt.Errorf("delete %d of %d applied messages failed, first: %s: %s", len(res.Failed), len(done), aws.ToString(f.Code), aws.ToString(f.Message))
	}
	return nil
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
