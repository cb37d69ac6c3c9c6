package collector

// TaskHealthCount is how many running tasks of one task definition of a
// service have one health status.
type TaskHealthCount struct {
	TaskDefinition string // family:revision
	Status         string // HEALTHY, UNHEALTHY, UNKNOWN
	Count          int
}
