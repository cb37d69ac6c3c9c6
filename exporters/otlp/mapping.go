package otlp

// attrNames renames catalogue labels to attribute names: the semantic
// conventions' where they exist, else ecswatch's own under ecswatch.*, so
// that no key is invented in a namespace ecswatch does not own (aws.*,
// cloud.*, container.*). A label missing here becomes ecswatch.<label>.
var attrNames = map[string]string{
	"container_name":   "container.name",
	"interface":        "network.interface.name",
	"state":            "ecswatch.container.state",
	"reason":           "ecswatch.reason",
	"cause":            "ecswatch.deployment.cause",
	"stop_code":        "ecswatch.task.stop_code",
	"deployment_id":    "ecswatch.deployment.id",
	"status":           "ecswatch.deployment.status",
	"stage":            "ecswatch.deployment.stage",
	"service_revision": "ecswatch.service_revision",
	"role":             "ecswatch.service_revision.role",
	"task_set_id":      "ecswatch.task_set.id",
	"collector":        "ecswatch.collector",
	"exporter":         "ecswatch.exporter",
	"type":             "ecswatch.event.type",
	// The AWS API calls: rpc.* as the conventions name AWS SDK calls.
	"service":   "rpc.service",
	"operation": "rpc.method",
	"outcome":   "ecswatch.outcome",
	"source":    "ecswatch.source",
}

// attrName is the attribute a label becomes.
func attrName(label string) string {
	if n, ok := attrNames[label]; ok {
		return n
	}
	return "ecswatch." + label
}
