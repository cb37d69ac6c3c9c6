package catalog

// The backend columns of the catalogue: how each family is sent to Datadog
// and to OpenTelemetry. Exporters read them from the family; adding a
// backend is adding a column here and a field to Family.

// DatadogType is how a family is sent to DogStatsD.
type DatadogType string

// The DogStatsD types used. Counters go out as counts of their increase since
// the last push, never as their cumulative value.
const (
	DatadogGauge DatadogType = "gauge"
	DatadogCount DatadogType = "count"
	// DatadogTags marks an info family: its labels become tags of the other
	// metrics rather than a metric of its own.
	DatadogTags DatadogType = "tags"
)

// Datadog is a family's DogStatsD name (after the namespace) and type.
type Datadog struct {
	Name string
	Type DatadogType
	// Scale multiplies the family's value into what is sent, and Unit names
	// that unit: DogStatsD counts are integers, so counters of seconds go
	// out in nanoseconds, as the Agent's own container.cpu.usage does.
	// Zero Scale sends the value as it is.
	Scale float64
	Unit  string
}

// Factor is the multiplier from the family's unit to the sent one.
func (d Datadog) Factor() float64 {
	if d.Scale == 0 {
		return 1
	}
	return d.Scale
}

// Instrument is the OpenTelemetry instrument a family becomes.
type Instrument string

// The instruments used; all are asynchronous, observed from the snapshot.
const (
	InstrumentCounter       Instrument = "counter"       // monotonic sum
	InstrumentUpDownCounter Instrument = "updowncounter" // non-monotonic sum
	InstrumentGauge         Instrument = "gauge"
	// InstrumentAttributes marks an info family: its labels are attributes
	// of the other metrics' points or resource instead.
	InstrumentAttributes Instrument = "attributes"
)

// OTLP is a family's OpenTelemetry metric: the semantic conventions'
// container.* names where they exist, else ecswatch's documented aws.ecs.*
// and ecswatch.* names. Its unit is the family's (UCUM).
type OTLP struct {
	Name       string
	Instrument Instrument
	// Attrs are attributes fixed by the family, such as the direction of a
	// semconv container.network.io point.
	Attrs map[string]string
}

// with sets a family's backend columns.
func (f *Family) with(d Datadog, o OTLP) *Family {
	f.Datadog, f.OTLP = d, o
	return f
}
