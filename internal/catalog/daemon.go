package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// daemonFamilies describe ecswatch itself.
var daemonFamilies = []*Family{
	daemonMetric(Gauge, "ecswatch_collector_up", "Whether the collector's last run succeeded (1) or failed (0).", "1",
		func(h *collector.CollectorHealth) float64 { return boolValue(h.Up) }).with(Datadog{Name: "self.collector.up", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.up", Instrument: InstrumentGauge}),
	daemonMetric(Gauge, "ecswatch_collector_duration_seconds", "Duration of the collector's last run.", "s",
		func(h *collector.CollectorHealth) float64 { return h.LastDuration.Seconds() }).with(Datadog{Name: "self.collector.duration", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.duration", Instrument: InstrumentGauge}),
	daemonMetric(Counter, "ecswatch_collector_errors_total", "Failed runs of the collector.", "{error}",
		func(h *collector.CollectorHealth) float64 { return float64(h.Errors) }).with(Datadog{Name: "self.collector.errors", Type: DatadogCount}, OTLP{Name: "ecswatch.collector.errors", Instrument: InstrumentCounter}),
	daemonMetric(Gauge, "ecswatch_collector_last_success_timestamp_seconds", "Unix time of the collector's last successful run; 0 before the first.", "s",
		func(h *collector.CollectorHealth) float64 { return unixSeconds(h.LastSuccess) }).with(Datadog{Name: "self.collector.last_success", Type: DatadogGauge}, OTLP{Name: "ecswatch.collector.last_success_time", Instrument: InstrumentGauge}),
	daemonCounter(collector.DroppedMetric, "Metrics, events and service checks a push exporter could not deliver and dropped.", "{item}", "exporter").with(Datadog{Name: "self.exporter.dropped", Type: DatadogCount}, OTLP{Name: "ecswatch.exporter.dropped", Instrument: InstrumentCounter}),
	daemonCounter("ecswatch_events_received_total", "EventBridge events received from the queue, by detail-type; unparseable messages count as invalid.", "{event}", "type").values("type", ecsvocab.DetailTypeValues()).with(Datadog{Name: "self.events.received", Type: DatadogCount}, OTLP{Name: "ecswatch.events.received", Instrument: InstrumentCounter}),
	daemonCounter("ecswatch_sd_task_definitions_skipped_total", "Task definitions whose docker labels ask to be scraped in a malformed way, by reason; Prometheus service discovery leaves out their label targets.", "{task_definition}", "reason").values("reason", ecsvocab.SDSkipReasons).with(Datadog{Name: "self.sd.task_definitions_skipped", Type: DatadogCount}, OTLP{Name: "ecswatch.sd.task_definitions_skipped", Instrument: InstrumentCounter}).experimental("0.2.0"),
	{
		Name: "ecswatch_aws_api_calls_total", Unit: "{call}", Datadog: Datadog{Name: "self.aws.api_calls", Type: DatadogCount}, OTLP: OTLP{Name: "ecswatch.aws.api_calls", Instrument: InstrumentCounter}, Kind: Counter, Scope: ScopeDaemon, Labels: []string{"service", "operation", "outcome"}, Values: map[string][]string{"outcome": ecsvocab.Outcomes},
		Help: "AWS API calls by service, operation and outcome (success, throttled, client_error, server_error, network_error); every attempt, retries included.",
		snapshot: func(s *collector.Snapshot, emit IdentifiedEmit) {
			for _, c := range s.APICalls {
				emit(nil, float64(c.Count), c.Service, c.Operation, c.Outcome)
			}
		},
	},
}
