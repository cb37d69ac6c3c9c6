// Package e2e holds the end-to-end scenario test: recorded task metadata,
// ECS and CloudWatch answers in, the Prometheus exposition, DogStatsD
// datagrams and OTLP output of the real collectors and exporters out, one
// folder per operator scenario under testdata/.
package e2e
