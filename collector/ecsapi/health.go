package ecsapi

import (
	"cmp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/rules"
	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// taskHealth counts, by service, the running tasks of each task definition
// by healthStatus (API reference Task.healthStatus: HEALTHY when every
// essential container passes its health check, UNHEALTHY when one fails,
// UNKNOWN while evaluated or with no health check). Every status of a task
// definition with running tasks is listed, at 0 too, so that a series does
// not appear only when it becomes interesting.
func taskHealth(tasks []types.Task) map[string][]collector.TaskHealthCount {
	counts := map[string]map[string]map[string]int{} // service, task definition, status
	for _, t := range tasks {
		svc := rules.ServiceFromGroup(aws.ToString(t.Group))
		if svc == "" || aws.ToString(t.DesiredStatus) == "STOPPED" || aws.ToString(t.LastStatus) == "STOPPED" {
			continue
		}
		td := ecsvocab.TaskDefinition(aws.ToString(t.TaskDefinitionArn))
		if counts[svc] == nil {
			counts[svc] = map[string]map[string]int{}
		}
		if counts[svc][td] == nil {
			counts[svc][td] = map[string]int{}
		}
		counts[svc][td][ecsvocab.HealthStatusLabel(string(t.HealthStatus))]++
	}
	out := make(map[string][]collector.TaskHealthCount, len(counts))
	for svc, byTD := range counts {
		var list []collector.TaskHealthCount
		for td, byStatus := range byTD {
			td := strings.Clone(td) // kept in the model: off the decoder's arena
			for _, st := range ecsvocab.HealthStatuses {
				list = append(list, collector.TaskHealthCount{TaskDefinition: td, Status: st, Count: byStatus[st]})
			}
		}
		slices.SortFunc(list, func(a, b collector.TaskHealthCount) int {
			return cmp.Or(strings.Compare(a.TaskDefinition, b.TaskDefinition), strings.Compare(a.Status, b.Status))
		})
		out[svc] = list
	}
	return out
}
