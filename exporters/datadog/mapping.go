package datadog

// tagNames renames catalogue labels where the Datadog name differs; the
// identity labels are replaced by the Agent's ECS tags instead.
var tagNames = map[string]string{
	"status":    "deployment_status",
	"service":   "aws_service",
	"operation": "aws_operation",
	"type":      "event_type",
	// source is reserved in Datadog (the integration a log or event came from).
	"source": "ecswatch_source",
}
