package sim

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SQS is a fake of Amazon SQS speaking awsJson1_0 as aws-sdk-go-v2 sends it
// (POST /, X-Amz-Target AmazonSQS.<Operation>), with what a consumer relies
// on: long polling, visibility timeouts, receipt handles that go stale on
// redelivery, MD5 of bodies (the SDK checks them), and a redrive policy that
// moves a message received too often to a dead-letter queue.
type SQS struct {
	mu     sync.Mutex
	queues map[string]*queue // by name
	wake   chan struct{}     // closed and replaced when a message may have become visible
	down   bool
	calls  map[string]int
}

type queue struct {
	name       string
	visibility time.Duration
	messages   []*message
	dlq        *queue
	maxReceive int
}

type message struct {
	id, body, md5 string
	sentAt        time.Time
	visibleAt     time.Time
	receipt       string
	receives      int
}

// NewSQS returns a fake with no queues.
func NewSQS() *SQS {
	return &SQS{queues: map[string]*queue{}, wake: make(chan struct{}), calls: map[string]int{}}
}

// CreateQueue adds a queue with a default visibility timeout and returns its
// URL on base (the fake's own URL).
func (s *SQS) CreateQueue(base, name string, visibility time.Duration) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[name] = &queue{name: name, visibility: visibility}
	return QueueURL(base, name)
}

// QueueURL is the URL of queue name on a fake served at base.
func QueueURL(base, name string) string {
	return strings.TrimRight(base, "/") + "/" + Account + "/" + name
}

// SetRedrive moves messages of queue received more than maxReceive times to
// dlq, as an SQS redrive policy does.
func (s *SQS) SetRedrive(queueName, dlqName string, maxReceive int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[queueName].dlq, s.queues[queueName].maxReceive = s.queues[dlqName], maxReceive
}

// SetDown makes every call fail with HTTP 500 until set back.
func (s *SQS) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

// Send enqueues body, as EventBridge does, and returns the message ID.
func (s *SQS) Send(queueName, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[queueName]
	sum := md5.Sum([]byte(body))
	now := time.Now()
	m := &message{id: newID(), body: body, md5: hex.EncodeToString(sum[:]), sentAt: now, visibleAt: now}
	q.messages = append(q.messages, m)
	s.broadcastLocked()
	return m.id
}

// Depth returns how many messages queueName holds, visible or in flight.
func (s *SQS) Depth(queueName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues[queueName].messages)
}

// Calls returns the calls served per operation.
func (s *SQS) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

func (s *SQS) broadcastLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

const sqsTargetPrefix = "AmazonSQS."

// ServeHTTP implements http.Handler.
func (s *SQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		QueueURL            string `json:"QueueUrl"`
		MaxNumberOfMessages int    `json:"MaxNumberOfMessages"`
		WaitTimeSeconds     int    `json:"WaitTimeSeconds"`
		VisibilityTimeout   *int   `json:"VisibilityTimeout"`
		ReceiptHandle       string `json:"ReceiptHandle"`
		MessageBody         string `json:"MessageBody"`
		Entries             []struct {
			ID            string `json:"Id"`
			ReceiptHandle string `json:"ReceiptHandle"`
		} `json:"Entries"`
	}
	op, aerr := readAWSJSON(r, sqsTargetPrefix, &req, "UnsupportedOperation", "InvalidParameterValue")
	if aerr != nil {
		writeSQSError(w, *aerr)
		return
	}
	s.mu.Lock()
	s.calls[op]++
	if s.down {
		s.mu.Unlock()
		writeSQSError(w, awsError{500, "InternalError", "service unavailable"})
		return
	}
	q := s.queues[req.QueueURL[strings.LastIndexByte(req.QueueURL, '/')+1:]]
	s.mu.Unlock()
	if q == nil {
		writeSQSError(w, awsError{400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."})
		return
	}

	var resp any
	switch op {
	case "ReceiveMessage":
		resp, aerr = s.receive(r, q, req.MaxNumberOfMessages, req.WaitTimeSeconds, req.VisibilityTimeout)
	case "DeleteMessageBatch":
		var ok, failed []any
		s.mu.Lock()
		for _, e := range req.Entries {
			if s.deleteLocked(q, e.ReceiptHandle) {
				ok = append(ok, map[string]string{"Id": e.ID})
			} else {
				failed = append(failed, map[string]any{"Id": e.ID, "Code": "ReceiptHandleIsInvalid", "Message": "The receipt handle is not valid.", "SenderFault": true})
			}
		}
		s.mu.Unlock()
		resp = map[string]any{"Successful": orEmpty(ok), "Failed": orEmpty(failed)}
	case "DeleteMessage":
		s.mu.Lock()
		deleted := s.deleteLocked(q, req.ReceiptHandle)
		s.mu.Unlock()
		if !deleted {
			aerr = &awsError{400, "ReceiptHandleIsInvalid", "The receipt handle is not valid."}
		}
		resp = map[string]any{}
	case "ChangeMessageVisibility":
		s.mu.Lock()
		found := false
		for _, m := range q.messages {
			if m.receipt == req.ReceiptHandle && req.VisibilityTimeout != nil {
				m.visibleAt, found = time.Now().Add(time.Duration(*req.VisibilityTimeout)*time.Second), true
			}
		}
		s.broadcastLocked()
		s.mu.Unlock()
		if !found {
			aerr = &awsError{400, "ReceiptHandleIsInvalid", "The receipt handle is not valid."}
		}
		resp = map[string]any{}
	case "SendMessage":
		id := s.Send(q.name, req.MessageBody)
		sum := md5.Sum([]byte(req.MessageBody))
		resp = map[string]any{"MessageId": id, "MD5OfMessageBody": hex.EncodeToString(sum[:])}
	default:
		aerr = &awsError{400, "UnsupportedOperation", "operation " + op + " is not simulated"}
	}
	if aerr != nil {
		writeSQSError(w, *aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(resp)
}

// receive long-polls for up to wait seconds for visible messages.
func (s *SQS) receive(r *http.Request, q *queue, max, wait int, visibility *int) (any, *awsError) {
	if max == 0 {
		max = 1
	}
	if max > 10 || wait > 20 {
		return nil, &awsError{400, "InvalidParameterValue", "MaxNumberOfMessages must be 1-10 and WaitTimeSeconds 0-20"}
	}
	vis := q.visibility
	if visibility != nil {
		vis = time.Duration(*visibility) * time.Second
	}
	deadline := time.NewTimer(time.Duration(wait) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		var out []any
		kept := q.messages[:0]
		var nextVisible time.Time
		for _, m := range q.messages {
			if len(out) < max && !m.visibleAt.After(now) {
				if q.dlq != nil && m.receives >= q.maxReceive {
					// Redrive: received too often without being deleted.
					m.receives, m.receipt = 0, ""
					q.dlq.messages = append(q.dlq.messages, m)
					continue
				}
				m.receives++
				m.receipt = newID()
				m.visibleAt = now.Add(vis)
				out = append(out, map[string]any{
					"MessageId": m.id, "ReceiptHandle": m.receipt, "MD5OfBody": m.md5, "Body": m.body,
					"Attributes": map[string]string{
						"ApproximateReceiveCount": strconv.Itoa(m.receives),
						"SentTimestamp":           strconv.FormatInt(m.sentAt.UnixMilli(), 10),
					},
				})
			} else if m.visibleAt.After(now) && (nextVisible.IsZero() || m.visibleAt.Before(nextVisible)) {
				nextVisible = m.visibleAt
			}
			kept = append(kept, m)
		}
		q.messages = kept
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 {
			return map[string]any{"Messages": out}, nil
		}
		// Wait for a new message, one becoming visible again, the end of
		// the long poll, or the client giving up.
		untilVisible := time.Hour
		if !nextVisible.IsZero() {
			untilVisible = time.Until(nextVisible)
		}
		t := time.NewTimer(untilVisible)
		select {
		case <-wake:
		case <-t.C:
		case <-deadline.C:
			t.Stop()
			return map[string]any{}, nil
		case <-r.Context().Done():
			t.Stop()
			return map[string]any{}, nil
		}
		t.Stop()
	}
}

func (s *SQS) deleteLocked(q *queue, receipt string) bool {
	for i, m := range q.messages {
		if receipt != "" && m.receipt == receipt {
			q.messages = append(q.messages[:i], q.messages[i+1:]...)
			return true
		}
	}
	return false
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func writeSQSError(w http.ResponseWriter, e awsError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", e.typ+";Sender")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.typ, "message": e.msg})
}
