package ecsvocab

// Why Prometheus service discovery skips a task definition's docker-label
// targets: the values of ecswatch_sd_task_definitions_skipped_total's
// reason label.
const (
	SDInvalidPort       = "invalid_port"        // not a number
	SDPortOutOfRange    = "port_out_of_range"   // not within 1-65535
	SDDuplicatePortName = "duplicate_port_name" // two ports of one container with one name
	SDInvalidPortName   = "invalid_port_name"   // empty, or characters outside [a-zA-Z0-9_-]
	SDInvalidPath       = "invalid_path"        // not an absolute path
)

// SDSkipReasons lists every reason.
var SDSkipReasons = []string{SDInvalidPort, SDPortOutOfRange, SDDuplicatePortName, SDInvalidPortName, SDInvalidPath}
