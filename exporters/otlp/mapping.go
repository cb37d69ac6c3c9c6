package otlp

// attrNames renames catalogue labels to attribute names, the semantic
// conventions' where they exist.
var attrNames = map[string]string{
	"container_name": "container.name",
	"interface":      "network.interface.name",
	"state":          "aws.ecs.container.state",
	"reason":         "aws.ecs.reason",
	"stop_code":      "aws.ecs.task.stop_code",
	"deployment_id":  "aws.ecs.deployment.id",
	"status":         "aws.ecs.deployment.status",
	"collector":      "ecswatch.collector",
	"exporter":       "ecswatch.exporter",
	"type":           "ecswatch.event.type",
	"service":        "cloud.service",
	"operation":      "rpc.method",
	"outcome":        "ecswatch.outcome",
	"source":         "ecswatch.source",
}
