package ecsapi

// The lean decoder: DescribeTasks answers were most of what a cycle
// allocated (a task is some thirty fields and the SDK's decoder allocates
// each *string and *time.Time on its own), then DescribeServices (each
// deployment and event likewise) and the List* pages. A successful answer
// to one of those is decoded here instead, into the SDK's own output type,
// with only the fields ecswatch reads (decodeTask, serviceDecoder.service)
// and the strings and pointers in shared blocks. It is installed as the
// client's protocol for those calls only (leanProtocol): the request,
// signing, endpoints, retries, error answers and the closing of the body
// stay the SDK's. An answer it cannot read is handed to the SDK's decoder,
// so it is never less tolerant than the SDK.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// leanProtocol is the client's protocol but for a successful
// DescribeTasks, DescribeServices, ListTasks or ListServices answer, which
// it decodes itself.
type leanProtocol struct {
	smithyhttp.ClientProtocol
}

// withLeanDecoder is the per-call option that installs leanProtocol over
// the client's own protocol, unless that protocol asks for the SDK's
// decoding (sdkDecoding: the tests that compare both decoders).
func withLeanDecoder(o *ecs.Options) {
	switch o.Protocol.(type) {
	case nil, leanProtocol, sdkDecoding:
		return
	}
	o.Protocol = leanProtocol{o.Protocol}
}

// sdkDecoding is a protocol that keeps the SDK's decoders throughout.
type sdkDecoding interface {
	smithyhttp.ClientProtocol
	SDKDecoding()
}

// bodies are reused response buffers: a body is read whole, decoded and
// dropped within one call.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// DeserializeResponse implements smithyhttp.ClientProtocol.
func (p leanProtocol) DeserializeResponse(ctx context.Context, schema *smithy.OperationSchema, types *smithy.TypeRegistry, resp *smithyhttp.Response, out smithy.Deserializable) error {
	var decode func([]byte) error
	switch o := out.(type) {
	case *ecs.DescribeTasksOutput:
		decode = func(b []byte) error { return decodeDescribeTasks(b, o) }
	case *ecs.DescribeServicesOutput:
		decode = func(b []byte) error { return decodeDescribeServices(b, o) }
	case *ecs.ListTasksOutput:
		decode = func(b []byte) error { return decodeList(b, "taskArns", &o.TaskArns, &o.NextToken) }
	case *ecs.ListServicesOutput:
		decode = func(b []byte) error { return decodeList(b, "serviceArns", &o.ServiceArns, &o.NextToken) }
	}
	if decode == nil || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return p.ClientProtocol.DeserializeResponse(ctx, schema, types, resp, out)
	}
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return &smithy.DeserializationError{Err: err}
	}
	if buf.Len() == 0 {
		return nil // as the SDK: an empty body is an empty output
	}
	if err := decode(buf.Bytes()); err != nil {
		// Not what the lean decoder expects: the SDK's decoder judges, on
		// the same bytes. The original body is still the one closed.
		reflect.ValueOf(out).Elem().SetZero()
		resp.Body = struct {
			io.Reader
			io.Closer
		}{bytes.NewReader(buf.Bytes()), resp.Body}
		return p.ClientProtocol.DeserializeResponse(ctx, schema, types, resp, out)
	}
	return nil
}

// decodeDescribeTasks reads a DescribeTasks answer's tasks (not its
// failures, which ecswatch does not read).
func decodeDescribeTasks(body []byte, out *ecs.DescribeTasksOutput) error {
	r := &jsonReader{b: body}
	var (
		a    arena
		ptrs pointers
	)
	scratch := taskScratch.Get().(*[]types.Task)
	defer taskScratch.Put(scratch)
	err := r.object(func(key []byte) error {
		if string(key) != "tasks" {
			return r.skip()
		}
		var err error
		out.Tasks, err = list(r, scratch, func(t *types.Task) error { return decodeTask(r, &a, &ptrs, t) })
		return err
	})
	if err == nil && r.peek() != 0 {
		return errTrailing
	}
	return err
}

// errTrailing: something follows the answer's object.
var errTrailing = errors.New("data after the JSON object")

// taskScratch are the reused slices decodeDescribeTasks reads into (see
// list; a task is large enough to pool them).
var taskScratch = sync.Pool{New: func() any { return new([]types.Task) }}

// decodeList reads a List* answer: its ARNs under key and its nextToken.
func decodeList(body []byte, key string, arns *[]string, next **string) error {
	r := &jsonReader{b: body}
	var (
		a arena
		p pointers
	)
	err := r.object(func(k []byte) error {
		switch string(k) {
		case key:
			return r.array(func() error {
				if r.null() {
					return errors.New("null ARN")
				}
				s, err := r.string(&a)
				*arns = append(*arns, s)
				return err
			})
		case "nextToken":
			return readString(r, &a, &p, next)
		}
		return r.skip()
	})
	if err == nil && r.peek() != 0 {
		return errTrailing
	}
	return err
}

// pointers hands out the *string, *int32 and *time.Time fields of the
// SDK's types from blocks, rather than one allocation each.
type pointers struct {
	strs  []string
	ints  []int32
	times []time.Time
	// The tasks' containers, likewise: read into scratch, then copied
	// into a block.
	scratch, block []types.Container
}

// containers copies cs into the block and returns the copy; nil for none.
func (p *pointers) containers(cs []types.Container) []types.Container {
	if len(cs) == 0 {
		return nil
	}
	if len(cs) > cap(p.block)-len(p.block) {
		p.block = make([]types.Container, 0, max(len(cs), containerBlock))
	}
	start := len(p.block)
	p.block = append(p.block, cs...)
	return p.block[start:len(p.block):len(p.block)]
}

const pointerBlock = 128

// containerBlock is how many containers a block holds.
const containerBlock = 32

func (p *pointers) str(s string) *string {
	if len(p.strs) == cap(p.strs) {
		p.strs = make([]string, 0, pointerBlock)
	}
	p.strs = append(p.strs, s)
	return &p.strs[len(p.strs)-1]
}

func (p *pointers) int32(n int32) *int32 {
	if len(p.ints) == cap(p.ints) {
		p.ints = make([]int32, 0, pointerBlock)
	}
	p.ints = append(p.ints, n)
	return &p.ints[len(p.ints)-1]
}

func (p *pointers) time(t time.Time) *time.Time {
	if len(p.times) == cap(p.times) {
		p.times = make([]time.Time, 0, pointerBlock)
	}
	p.times = append(p.times, t)
	return &p.times[len(p.times)-1]
}

// readString reads a string field into *dst; a null leaves it nil.
func readString(r *jsonReader, a *arena, p *pointers, dst **string) error {
	if r.null() {
		return nil
	}
	s, err := r.string(a)
	if err != nil {
		return err
	}
	*dst = p.str(s)
	return nil
}

// readEnum reads an enum field (a string type).
func readEnum[E ~string](r *jsonReader, a *arena, dst *E) error {
	if r.null() {
		return nil
	}
	s, err := r.string(a)
	*dst = E(s)
	return err
}

func readInt32(r *jsonReader, p *pointers, dst **int32) error {
	if r.null() {
		return nil
	}
	n, err := r.int32()
	if err != nil {
		return err
	}
	*dst = p.int32(n)
	return nil
}

func readTime(r *jsonReader, p *pointers, dst **time.Time) error {
	if r.null() {
		return nil
	}
	t, err := r.epochSeconds()
	if err != nil {
		return err
	}
	*dst = p.time(t)
	return nil
}

// decodeTask reads one task's fields that ecswatch reads: every field of
// types.Task and of the types within it that collector/ecsapi (translate,
// health, capacity, headroom) and internal/ecssd (targets) read, and no
// other:
//
//	taskArn taskDefinitionArn group lastStatus desiredStatus launchType
//	availabilityZone capacityProviderName containerInstanceArn healthStatus
//	createdAt stoppedAt stopCode stoppedReason
//	containers[].{name lastStatus reason exitCode
//	  networkBindings[].{containerPort hostPort}
//	  networkInterfaces[].privateIpv4Address}
//	attachments[].{type details[].{name value}}
//	tags[].{key value}
//
// Reading another one means adding it here and to the comparison test's
// usedTaskFields (TestLeanDescribeTasks), with a fixture that has it.
func decodeTask(r *jsonReader, a *arena, p *pointers, t *types.Task) error {
	return r.object(func(key []byte) error {
		switch string(key) {
		case "taskArn":
			return readString(r, a, p, &t.TaskArn)
		case "taskDefinitionArn":
			return readString(r, a, p, &t.TaskDefinitionArn)
		case "group":
			return readString(r, a, p, &t.Group)
		case "lastStatus":
			return readString(r, a, p, &t.LastStatus)
		case "desiredStatus":
			return readString(r, a, p, &t.DesiredStatus)
		case "launchType":
			return readEnum(r, a, &t.LaunchType)
		case "availabilityZone":
			return readString(r, a, p, &t.AvailabilityZone)
		case "capacityProviderName":
			return readString(r, a, p, &t.CapacityProviderName)
		case "containerInstanceArn":
			return readString(r, a, p, &t.ContainerInstanceArn)
		case "healthStatus":
			return readEnum(r, a, &t.HealthStatus)
		case "createdAt":
			return readTime(r, p, &t.CreatedAt)
		case "stoppedAt":
			return readTime(r, p, &t.StoppedAt)
		case "stopCode":
			return readEnum(r, a, &t.StopCode)
		case "stoppedReason":
			return readString(r, a, p, &t.StoppedReason)
		case "containers":
			p.scratch = p.scratch[:0]
			err := r.array(func() error {
				var c types.Container
				err := decodeContainer(r, a, p, &c)
				p.scratch = append(p.scratch, c)
				return err
			})
			t.Containers = p.containers(p.scratch)
			return err
		case "attachments":
			return r.array(func() error {
				var at types.Attachment
				err := r.object(func(key []byte) error {
					switch string(key) {
					case "type":
						return readString(r, a, p, &at.Type)
					case "details":
						return r.array(func() error {
							var kv types.KeyValuePair
							if err := decodeNameValue(r, a, p, &kv.Name, &kv.Value, "name", "value"); err != nil {
								return err
							}
							at.Details = append(at.Details, kv)
							return nil
						})
					}
					return r.skip()
				})
				t.Attachments = append(t.Attachments, at)
				return err
			})
		case "tags":
			return r.array(func() error {
				var tag types.Tag
				if err := decodeNameValue(r, a, p, &tag.Key, &tag.Value, "key", "value"); err != nil {
					return err
				}
				t.Tags = append(t.Tags, tag)
				return nil
			})
		}
		return r.skip()
	})
}

// decodeNameValue reads an object of two string fields.
func decodeNameValue(r *jsonReader, a *arena, p *pointers, name, value **string, nameKey, valueKey string) error {
	return r.object(func(key []byte) error {
		switch string(key) {
		case nameKey:
			return readString(r, a, p, name)
		case valueKey:
			return readString(r, a, p, value)
		}
		return r.skip()
	})
}

// decodeContainer reads one of a task's containers.
func decodeContainer(r *jsonReader, a *arena, p *pointers, c *types.Container) error {
	return r.object(func(key []byte) error {
		switch string(key) {
		case "name":
			return readString(r, a, p, &c.Name)
		case "lastStatus":
			return readString(r, a, p, &c.LastStatus)
		case "reason":
			return readString(r, a, p, &c.Reason)
		case "exitCode":
			return readInt32(r, p, &c.ExitCode)
		case "networkBindings":
			return r.array(func() error {
				var b types.NetworkBinding
				err := r.object(func(key []byte) error {
					switch string(key) {
					case "containerPort":
						return readInt32(r, p, &b.ContainerPort)
					case "hostPort":
						return readInt32(r, p, &b.HostPort)
					}
					return r.skip()
				})
				c.NetworkBindings = append(c.NetworkBindings, b)
				return err
			})
		case "networkInterfaces":
			return r.array(func() error {
				var ni types.NetworkInterface
				err := r.object(func(key []byte) error {
					if string(key) == "privateIpv4Address" {
						return readString(r, a, p, &ni.PrivateIpv4Address)
					}
					return r.skip()
				})
				c.NetworkInterfaces = append(c.NetworkInterfaces, ni)
				return err
			})
		}
		return r.skip()
	})
}
