// Package otlp pushes the Store's snapshots as OTLP metrics through an
// OpenTelemetry MeterProvider, and OOM kills and deployment state changes as
// OTLP log records (events) through a LoggerProvider, over gRPC or
// HTTP/protobuf. It follows the OpenTelemetry conventions: semantic
// convention names, units and resource attributes, and the standard
// OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* environment variables.
//
// Export runs on the SDK's own goroutines with bounded retries and queues: a
// Collector that is down or slow never holds up collection or scrapes, and
// what could not be delivered is counted in
// ecswatch_exporter_dropped_total{exporter="otlp"}.
package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	ecsdetector "go.opentelemetry.io/contrib/detectors/aws/ecs"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/exporters/push"
	"github.com/ecswatch/ecswatch/internal/catalog"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Name is the exporter's label in ecswatch_exporter_dropped_total.
const Name = "otlp"

// ScopeName is the instrumentation scope of everything ecswatch emits.
const ScopeName = "github.com/ecswatch/ecswatch"

// Source is where snapshots come from; *collector.Store is one.
type Source interface {
	Snapshot() *collector.Snapshot
	Count(name, label string, n uint64)
	Exported(name string, t time.Time)
}

// Exporter owns the MeterProvider and LoggerProvider.
type Exporter struct {
	source  Source
	events  <-chan collector.Event
	logger  *slog.Logger
	opts    Options
	version string

	mu       sync.Mutex
	mp       *sdkmetric.MeterProvider
	lp       *sdklog.LoggerProvider
	eventLog log.Logger
	// resourceTaskID is the task the resource describes (a sidecar's), so
	// that its points need not repeat its identity; empty otherwise.
	resourceTaskID string
	// observed is the time of the snapshot the last collection read, in
	// Unix nanoseconds: the reader's goroutine writes it, its exporter reads.
	observed atomic.Int64
	// rates keeps the last readings the ADOT naming's rates derive from.
	rates adotRates
}

// errorLogEvery bounds how often a failing Collector is logged: one line per
// failed export would flood the log at a short push interval.
const errorLogEvery = 30 * time.Second

// rateLimitedErrors is an otel.ErrorHandler that logs through slog, at most
// once per interval, with how many errors it held back.
type rateLimitedErrors struct {
	logger *slog.Logger
	every  time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newRateLimitedErrors(logger *slog.Logger, every time.Duration) *rateLimitedErrors {
	return &rateLimitedErrors{logger: logger, every: every}
}

// Handle implements otel.ErrorHandler.
func (r *rateLimitedErrors) Handle(err error) {
	r.mu.Lock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	r.logger.Warn("otlp export failed", "err", err, "errors_not_logged", suppressed)
}

// New returns an Exporter. Nothing is sent until Run (or Shutdown) starts
// the providers: the resource describes the task a sidecar runs in, which
// is known only once the first collection has succeeded.
func New(source Source, events <-chan collector.Event, logger *slog.Logger, opts Options, version string) *Exporter {
	return &Exporter{source: source, events: events, logger: logger, opts: opts, version: version}
}

// waitForData is how long Run waits for a first snapshot with data before
// starting with a resource that names no task.
const waitForData = 30 * time.Second

// Run starts the providers once the Store has data, then turns events into
// log records until ctx ends. Metrics are pushed by the periodic reader.
func (e *Exporter) Run(ctx context.Context) {
	deadline := time.Now().Add(waitForData)
	for !e.hasData() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := e.start(ctx); err != nil {
		e.logger.Error("otlp exporter not started", "err", err)
		return
	}
	push.Loop(ctx, e.events, func(ev collector.Event) { e.emit(ctx, ev) }, 0, nil)
}

func (e *Exporter) hasData() bool {
	s := e.source.Snapshot()
	return len(s.Tasks) > 0 || len(s.Services) > 0
}

// Shutdown sends pending events and one last collection, then stops the
// providers, within ctx.
func (e *Exporter) Shutdown(ctx context.Context) error {
	if err := e.start(ctx); err != nil {
		return err
	}
	collector.Drain(e.events, func(ev collector.Event) { e.emit(ctx, ev) })
	e.mu.Lock()
	defer e.mu.Unlock()
	return errors.Join(e.mp.Shutdown(ctx), e.lp.Shutdown(ctx))
}

// ForceFlush exports what is pending now; tests and shutdown use it.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mp == nil {
		return nil
	}
	return errors.Join(e.mp.ForceFlush(ctx), e.lp.ForceFlush(ctx))
}

// start builds the resource and providers once.
func (e *Exporter) start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mp != nil {
		return nil
	}
	res, taskID, err := e.resource(ctx)
	if err != nil {
		return fmt.Errorf("otlp resource: %w", err)
	}
	// The SDK reports failed exports through otel's global error handler
	// and logger, which default to the standard log package: route both
	// into slog, the error handler at most once per errorLogEvery.
	otel.SetErrorHandler(newRateLimitedErrors(e.logger, errorLogEvery))
	otel.SetLogger(logr.FromSlogHandler(e.logger.Handler()))
	// Set before the reader's goroutine exists: its callbacks read it.
	e.resourceTaskID = taskID
	mexp, lexp, err := newExporters(ctx, e.opts)
	if err != nil {
		return err
	}
	mexp, lexp = selectExporters(mexp, lexp, os.LookupEnv)
	var readerOpts []sdkmetric.PeriodicReaderOption
	if e.opts.Interval > 0 {
		readerOpts = append(readerOpts, sdkmetric.WithInterval(e.opts.Interval))
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		// The splitter outside the counting: a container's export that
		// fails for good counts its own points as dropped, not the task's.
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(resourceSplitter{&countingMetricExporter{Exporter: mexp, drops: push.NewDrops(e.source, Name), source: e.source,
			observed: func() time.Time { return time.Unix(0, e.observed.Load()) }}}, readerOpts...)),
	)
	lp := sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(&countingLogExporter{Exporter: lexp, drops: push.NewDrops(e.source, Name)},
			sdklog.WithMaxQueueSize(2048), sdklog.WithExportTimeout(10*time.Second))),
	)
	if err := e.register(mp.Meter(ScopeName, metric.WithInstrumentationVersion(e.version), metric.WithSchemaURL(semconv.SchemaURL))); err != nil {
		return errors.Join(err, mp.Shutdown(ctx), lp.Shutdown(ctx))
	}
	e.mp, e.lp = mp, lp
	e.eventLog = lp.Logger(ScopeName, log.WithInstrumentationVersion(e.version), log.WithSchemaURL(semconv.SchemaURL))
	return nil
}

// resource describes where the data comes from. A sidecar's snapshot holds
// its own task, which becomes the resource (its containers each get theirs,
// see resourceSplitter); a standalone ecswatch is described by its account
// and region only, and its points say which cluster, service or task they
// are about. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the
// SDK's environment detector, come last and win.
func (e *Exporter) resource(ctx context.Context) (res *resource.Resource, taskID string, err error) {
	attrs := []attribute.KeyValue{
		semconv.ServiceName("ecswatch"), semconv.ServiceVersion(e.version),
		semconv.CloudProviderAWS, semconv.CloudPlatformAWSECS,
	}
	snap := e.source.Snapshot()
	switch {
	case len(snap.Tasks) == 1 && len(snap.Services) == 0:
		t := snap.Tasks[0]
		region, account := ecsvocab.RegionAccount(t.ARN)
		clusterARN := t.ClusterARN
		if clusterARN == "" && region != "" {
			clusterARN = "arn:aws:ecs:" + region + ":" + account + ":cluster/" + t.Cluster
		}
		attrs = append(attrs,
			semconv.CloudRegion(region), semconv.CloudAccountID(account), semconv.CloudAvailabilityZone(t.AvailabilityZone),
			semconv.AWSECSClusterARN(clusterARN), semconv.AWSECSTaskARN(t.ARN),
			semconv.AWSECSTaskFamily(t.Family), semconv.AWSECSTaskRevision(t.Revision),
			semconv.AWSECSTaskID(t.ID), semconv.AWSECSLaunchtypeKey.String(strings.ToLower(t.LaunchType)),
		)
		if e.opts.Naming == NamingADOT {
			attrs = append(attrs, adotTaskAttributes(t)...)
		}
		taskID = t.ID
	case len(snap.Services) > 0:
		region, account := ecsvocab.RegionAccount(snap.Services[0].ARN)
		attrs = append(attrs, semconv.CloudRegion(region), semconv.CloudAccountID(account))
	}
	if taskID == "" {
		// Standalone: ecswatch itself is what produces the data, and when
		// it runs on ECS the contrib ECS detector describes its own task
		// and container from its metadata endpoint.
		attrs = append(attrs, e.selfOnECS(ctx)...)
	}
	sdk, err := resource.New(ctx, resource.WithTelemetrySDK())
	if err != nil {
		return nil, "", err
	}
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return nil, "", fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	res, err = resource.Merge(sdk, resource.NewWithAttributes(semconv.SchemaURL, attrs...))
	if err != nil {
		return nil, "", err
	}
	res, err = resource.Merge(res, env)
	return res, taskID, err
}

// selfOnECS is what the OpenTelemetry contrib ECS resource detector says of
// the task and container ecswatch runs in, when ECS_CONTAINER_METADATA_URI_V4
// is set; nothing elsewhere, or when the endpoint does not answer within
// selfDetectTimeout (logged: the data still goes out).
func (e *Exporter) selfOnECS(ctx context.Context) []attribute.KeyValue {
	if _, ok := os.LookupEnv("ECS_CONTAINER_METADATA_URI_V4"); !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, selfDetectTimeout)
	defer cancel()
	res, err := ecsdetector.NewResourceDetector().Detect(ctx)
	if err != nil {
		e.logger.Warn("otlp resource: ECS detector failed; the resource names no task", "err", err)
		return nil
	}
	if res == nil {
		return nil
	}
	// Its container.* describe ecswatch's own container; standalone points
	// carry container.name for the containers they are about (OOM kills),
	// and the two would read as one.
	var attrs []attribute.KeyValue
	for _, kv := range res.Attributes() {
		if !strings.HasPrefix(string(kv.Key), "container.") {
			attrs = append(attrs, kv)
		}
	}
	return attrs
}

// selfDetectTimeout bounds the ECS detector's two metadata requests.
const selfDetectTimeout = 5 * time.Second

// register creates one asynchronous instrument per OTLP name and one
// callback that observes every sample of the latest snapshot.
func (e *Exporter) register(meter metric.Meter) error {
	instruments := map[string]metric.Float64Observable{}
	var all []metric.Observable
	for _, f := range catalog.Families() {
		m := f.OTLP
		if e.opts.Naming == NamingADOT {
			if _, ok := catalog.ADOT[f.Name]; ok {
				continue // registerADOT's
			}
		}
		if m.Instrument == catalog.InstrumentAttributes || m.Name == "" || instruments[m.Name] != nil {
			continue
		}
		var (
			inst metric.Float64Observable
			err  error
		)
		switch m.Instrument {
		case catalog.InstrumentCounter:
			inst, err = meter.Float64ObservableCounter(m.Name, metric.WithUnit(f.Unit), metric.WithDescription(f.Help))
		case catalog.InstrumentUpDownCounter:
			inst, err = meter.Float64ObservableUpDownCounter(m.Name, metric.WithUnit(f.Unit), metric.WithDescription(f.Help))
		default:
			inst, err = meter.Float64ObservableGauge(m.Name, metric.WithUnit(f.Unit), metric.WithDescription(f.Help))
		}
		if err != nil {
			return fmt.Errorf("instrument %s: %w", m.Name, err)
		}
		instruments[m.Name] = inst
		all = append(all, inst)
	}
	if e.opts.Naming == NamingADOT {
		more, err := registerADOT(meter, instruments)
		if err != nil {
			return err
		}
		all = append(all, more...)
	}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		e.observe(o, instruments)
		return nil
	}, all...)
	return err
}

func (e *Exporter) observe(o metric.Observer, instruments map[string]metric.Float64Observable) {
	snap := e.source.Snapshot()
	e.observed.Store(snap.Time.UnixNano())
	var attrs []attribute.KeyValue
	tasks := adotTasks{at: snap.Time}
	catalog.Walk(snap, func(smp *catalog.Sample) {
		if e.opts.Naming == NamingADOT {
			if m, ok := catalog.ADOT[smp.Family.Name]; ok {
				e.observeADOT(o, instruments, &tasks, m, smp)
				return
			}
		}
		if inst := instruments[smp.Family.OTLP.Name]; inst != nil {
			attrs = e.pointAttributes(attrs[:0], smp)
			o.ObserveFloat64(inst, smp.Value, metric.WithAttributes(attrs...))
		}
	})
	tasks.observe(e, o, instruments)
}

// pointAttributes are what the resource does not already say: the identity
// of the task or service, the container's semconv attributes, the family's
// own labels and the family's fixed attributes.
func (e *Exporter) pointAttributes(attrs []attribute.KeyValue, smp *catalog.Sample) []attribute.KeyValue {
	if id := smp.Identity; id != nil && (id.TaskID == "" || id.TaskID != e.resourceTaskID) {
		attrs = appendIdentity(attrs, *id)
	}
	onResource := false
	if c := smp.Container; c != nil {
		if smp.Task != nil && smp.Task.ID == e.resourceTaskID {
			// A container of the resource's task: its own resource.
			attrs = appendContainerResource(attrs, c, e.opts.Naming)
			onResource = true
		} else {
			attrs = append(attrs, semconv.ContainerID(c.DockerID), semconv.ContainerImageName(imageName(c.Image)))
		}
	}
	for i, l := range smp.Family.Labels {
		if i >= len(smp.Labels) || smp.Labels[i] == "" || (onResource && l == "container_name") {
			continue
		}
		attrs = append(attrs, attribute.String(attrName(l), smp.Labels[i]))
	}
	for k, v := range smp.Family.OTLP.Attrs {
		attrs = append(attrs, attribute.String(k, v))
	}
	return attrs
}

// appendIdentity adds cluster, service and task family, revision and ID.
// The semantic conventions name only ARNs for these; ecswatch knows names,
// so it uses documented aws.ecs.*.name attributes beside the semconv ones.
func appendIdentity(attrs []attribute.KeyValue, id collector.Identity) []attribute.KeyValue {
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	add("aws.ecs.cluster.name", id.Cluster)
	add("aws.ecs.service.name", id.Service)
	add(string(semconv.AWSECSTaskFamilyKey), id.Family)
	add(string(semconv.AWSECSTaskRevisionKey), id.Revision)
	add(string(semconv.AWSECSTaskIDKey), id.TaskID)
	return attrs
}

// imageName is the image reference without its tag or digest, as
// container.image.name wants.
func imageName(image string) string {
	name, _, _ := collector.ImageReference(image)
	return name
}

// eventNames are the event.name of each kind sent as a log record.
var eventNames = map[collector.EventKind]string{
	collector.EventOOMKill:          "aws.ecs.container.oom_kill",
	collector.EventDeploymentFailed: "aws.ecs.deployment.failed",
	collector.EventRollbackFailed:   "aws.ecs.deployment.rollback_failed",
	collector.EventDeploymentStuck:  "aws.ecs.deployment.stuck",
	collector.EventDeploymentState:  "aws.ecs.deployment.state_change",
	collector.EventTaskStopReason:   "aws.ecs.task.stopped",
	collector.EventServiceAction:    "aws.ecs.service.action",
	collector.EventInstanceChange:   "aws.ecs.container_instance.state_change",
}

// emit turns an event into a log record; other kinds stay counters.
func (e *Exporter) emit(ctx context.Context, ev collector.Event) {
	name, ok := eventNames[ev.Kind]
	if !ok {
		return
	}
	var r log.Record
	r.SetEventName(name)
	r.SetTimestamp(ev.Time)
	r.SetObservedTimestamp(time.Now())
	switch ev.Kind {
	case collector.EventOOMKill, collector.EventDeploymentFailed, collector.EventRollbackFailed:
		r.SetSeverity(log.SeverityError)
		r.SetSeverityText("ERROR")
	case collector.EventDeploymentStuck:
		r.SetSeverity(log.SeverityWarn)
		r.SetSeverityText("WARN")
	case collector.EventTaskStopReason, collector.EventServiceAction, collector.EventInstanceChange:
		if !notable(ev) {
			return // a scale-in, a steady state, an instance registering is not news
		}
		r.SetSeverity(log.SeverityWarn)
		r.SetSeverityText("WARN")
	default:
		r.SetSeverity(log.SeverityInfo)
		r.SetSeverityText("INFO")
	}
	r.SetBody(attribute.StringValue(ev.Message))
	kvs := appendIdentity(nil, ev.Identity)
	add := func(k, v string) {
		if v != "" {
			kvs = append(kvs, attribute.String(k, v))
		}
	}
	add(string(semconv.ContainerNameKey), ev.Container)
	add(string(semconv.AWSECSTaskARNKey), ev.TaskARN)
	add("ecswatch.deployment.id", ev.Deployment)
	add("ecswatch.reason", ev.Label)
	add("ecswatch.event.id", ev.ID)
	r.AddAttributes(kvs...)
	e.eventLog.Emit(ctx, r)
}

// notable reports whether an event of the kinds counted mostly for their
// counters is also news, sent as a log record: a failed task, a WARN or
// ERROR service action, an agent that disconnected.
func notable(ev collector.Event) bool {
	switch ev.Kind {
	case collector.EventTaskStopReason:
		return ecsvocab.StopFailure(ev.Label)
	case collector.EventServiceAction:
		return ecsvocab.ServiceActionNotable(ev.Label)
	case collector.EventInstanceChange:
		return ev.Label == ecsvocab.InstanceAgentDisconnected
	}
	return true
}
