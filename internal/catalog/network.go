package catalog

import (
	"github.com/ecswatch/ecswatch/collector"
)

// networkFamilies are interface counters, named as ecs_exporter names them.
var networkFamilies = []*Family{
	networkMetric("ecs_network_receive_bytes_total", "Bytes received on the interface.", "By",
		func(n *collector.NetworkStats) float64 { return n.RxBytes }).with(Datadog{Name: "net.bytes_rcvd", Type: DatadogCount}, OTLP{Name: "container.network.io", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_packets_total", "Packets received on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.RxPackets }).with(Datadog{Name: "net.packets_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.packets", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_errors_total", "Receive errors on the interface.", "{error}",
		func(n *collector.NetworkStats) float64 { return n.RxErrors }).with(Datadog{Name: "net.errors_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.errors", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_receive_packets_dropped_total", "Received packets dropped on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.RxDropped }).with(Datadog{Name: "net.dropped_rcvd", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.dropped", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "receive"}}),
	networkMetric("ecs_network_transmit_bytes_total", "Bytes transmitted on the interface.", "By",
		func(n *collector.NetworkStats) float64 { return n.TxBytes }).with(Datadog{Name: "net.bytes_sent", Type: DatadogCount}, OTLP{Name: "container.network.io", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_packets_total", "Packets transmitted on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.TxPackets }).with(Datadog{Name: "net.packets_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.packets", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_errors_total", "Transmit errors on the interface.", "{error}",
		func(n *collector.NetworkStats) float64 { return n.TxErrors }).with(Datadog{Name: "net.errors_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.errors", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
	networkMetric("ecs_network_transmit_packets_dropped_total", "Transmitted packets dropped on the interface.", "{packet}",
		func(n *collector.NetworkStats) float64 { return n.TxDropped }).with(Datadog{Name: "net.dropped_sent", Type: DatadogCount}, OTLP{Name: "aws.ecs.network.dropped", Instrument: InstrumentCounter, Attrs: map[string]string{"network.io.direction": "transmit"}}),
}
