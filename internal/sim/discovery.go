package sim

// What Prometheus service discovery needs from the simulated ECS: task
// definitions (DescribeTaskDefinition) with docker labels and port mappings,
// how each task is reached (the awsvpc ENI's private IP, or the container
// instance and the network bindings of bridge and host mode), task tags and
// capacity providers, and the container instances' EC2 private IPs (served
// by the EC2 fake in ec2.go).

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TaskDefinition is one simulated task definition revision: what
// DescribeTaskDefinition answers, for service discovery (network mode,
// docker labels, ports) and deploy headroom (size, platform).
type TaskDefinition struct {
	Family   string
	Revision int
	// NetworkMode is awsvpc, bridge or host; empty is reported as ECS
	// reports a task definition registered without one (bridge on Linux
	// EC2), and Fargate tasks are always awsvpc.
	NetworkMode string
	CPU, Memory int    // task level; 0 for none
	Arch, OS    string // runtimePlatform: X86_64 or ARM64; LINUX; empty for none
	Containers  []ContainerDefinition
}

// ID is the task definition's family:revision, as Task.TaskDefinition names it.
func (td *TaskDefinition) ID() string { return td.Family + ":" + strconv.Itoa(td.Revision) }

// ContainerDefinition is one container of a simulated task definition.
type ContainerDefinition struct {
	Name                      string
	Image                     string
	CPU, Memory, MemoryReserv int // 0 for none
	DockerLabels              map[string]string
	PortMappings              []PortMapping
}

// PortMapping is one port mapping of a container definition; HostPort 0 in
// bridge mode asks for a dynamic host port.
type PortMapping struct {
	Name          string
	ContainerPort int
	HostPort      int
}

// TaskNetwork is how a simulated task is reached, and the task's other
// properties service discovery reports.
type TaskNetwork struct {
	// PrivateIP is the task ENI's address (awsvpc).
	PrivateIP string
	// Bindings are the host ports of each container's network bindings,
	// by container name and then container port (bridge and host mode).
	Bindings map[string]map[int]int
	// Tags are the task's tags, returned when DescribeTasks asks for TAGS.
	Tags map[string]string
}

// RegisterTaskDefinition makes td describable. Task definitions that are not
// registered are synthesised from the tasks that use them: one container per
// task container, no labels, no ports.
func (s *ECS) RegisterTaskDefinition(td *TaskDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taskDefs == nil {
		s.taskDefs = map[string]*TaskDefinition{}
	}
	s.taskDefs[td.ID()] = td
}

// describeTaskDefinition answers DescribeTaskDefinition for a family:revision
// or its ARN.
func describeTaskDefinition(s *ECS, _ *Cluster, names []string, req *ecsRequest) (any, *awsError) {
	id := req.TaskDefinition
	if i := strings.Index(id, ":task-definition/"); i >= 0 {
		id = id[i+len(":task-definition/"):]
	}
	s.mu.Lock()
	td := s.taskDefs[id]
	var launchType string
	if td == nil {
		td, launchType = s.synthesiseTaskDefinition(id, names)
	}
	s.mu.Unlock()
	if td == nil {
		return nil, &awsError{400, "ClientException", "Unable to describe task definition."}
	}
	return map[string]any{"taskDefinition": s.taskDefinitionJSON(td, launchType)}, nil
}

// synthesiseTaskDefinition builds the task definition id from the first
// task that uses it, or, for a revision no task uses yet, from its family's
// tasks. Called with s.mu held.
func (s *ECS) synthesiseTaskDefinition(id string, names []string) (*TaskDefinition, string) {
	family, rev, ok := strings.Cut(id, ":")
	n, err := strconv.Atoi(rev)
	if !ok || err != nil {
		return nil, ""
	}
	for _, sameFamily := range []bool{false, true} {
		for _, name := range names {
			c := s.cluster(name)
			if c == nil {
				continue
			}
			for _, t := range c.Tasks {
				if t.TaskDefinition != id && !(sameFamily && strings.HasPrefix(t.TaskDefinition, family+":")) {
					continue
				}
				td := &TaskDefinition{Family: family, Revision: n, CPU: t.CPU, Memory: t.Memory}
				for _, ct := range t.Containers {
					td.Containers = append(td.Containers, ContainerDefinition{Name: ct.Name, Image: "public.ecr.aws/shop/" + ct.Name + ":latest"})
				}
				return td, t.LaunchType
			}
		}
	}
	return nil, ""
}

func (s *ECS) taskDefinitionJSON(td *TaskDefinition, launchType string) map[string]any {
	mode := td.NetworkMode
	if mode == "" {
		mode = "bridge"
		if launchType == "FARGATE" {
			mode = "awsvpc"
		}
	}
	var cds []any
	for _, cd := range td.Containers {
		var pms []any
		for _, pm := range cd.PortMappings {
			m := map[string]any{"containerPort": pm.ContainerPort, "hostPort": pm.HostPort, "protocol": "tcp"}
			if pm.Name != "" {
				m["name"] = pm.Name
			}
			pms = append(pms, m)
		}
		m := map[string]any{"name": cd.Name, "image": cd.Image, "cpu": cd.CPU, "essential": true, "dockerLabels": cd.DockerLabels, "portMappings": pms}
		if cd.Memory > 0 {
			m["memory"] = cd.Memory
		}
		if cd.MemoryReserv > 0 {
			m["memoryReservation"] = cd.MemoryReserv
		}
		cds = append(cds, m)
	}
	out := map[string]any{
		"taskDefinitionArn": s.arn("task-definition", td.ID()), "family": td.Family, "revision": td.Revision,
		"networkMode": mode, "status": "ACTIVE", "containerDefinitions": cds,
	}
	if td.CPU > 0 {
		out["cpu"] = strconv.Itoa(td.CPU)
	}
	if td.Memory > 0 {
		out["memory"] = strconv.Itoa(td.Memory)
	}
	if td.Arch != "" || td.OS != "" {
		out["runtimePlatform"] = map[string]any{"cpuArchitecture": td.Arch, "operatingSystemFamily": td.OS}
	}
	return out
}

// addNetwork adds to a DescribeTasks task m what t.Net says.
func (s *ECS) addNetwork(c *Cluster, t *Task, m map[string]any) {
	n := t.Net
	if n == nil {
		return
	}
	containers, _ := m["containers"].([]any)
	if n.PrivateIP != "" {
		eni := "eni-" + t.ID[:min(len(t.ID), 17)]
		m["attachments"] = []any{map[string]any{
			"id": "attach-" + t.ID, "type": "ElasticNetworkInterface", "status": "ATTACHED",
			"details": []any{
				map[string]any{"name": "subnetId", "value": "subnet-0sim"},
				map[string]any{"name": "networkInterfaceId", "value": eni},
				map[string]any{"name": "privateIPv4Address", "value": n.PrivateIP},
			},
		}}
		for _, ct := range containers {
			ct.(map[string]any)["networkInterfaces"] = []any{map[string]any{"attachmentId": "attach-" + t.ID, "privateIpv4Address": n.PrivateIP}}
		}
	}
	for _, ct := range containers {
		cm := ct.(map[string]any)
		var bindings []any
		byPort := n.Bindings[cm["name"].(string)]
		for _, cport := range slices.Sorted(maps.Keys(byPort)) {
			hport := byPort[cport]
			bindings = append(bindings, map[string]any{"bindIP": "0.0.0.0", "containerPort": cport, "hostPort": hport, "protocol": "tcp"})
		}
		if bindings != nil {
			cm["networkBindings"] = bindings
		}
	}
	if len(n.Tags) > 0 {
		var tags []any
		for _, k := range slices.Sorted(maps.Keys(n.Tags)) {
			tags = append(tags, map[string]any{"key": k, "value": n.Tags[k]})
		}
		m["tags"] = tags
	}
}

// LargeDiscoveryCluster is LargeCluster with every task definition asking,
// through a docker label, to be scraped on port 8080: every tenth service's
// tasks in bridge mode on the cluster's instances (dynamic host ports, the
// instances at 10.1.y.z), the others in awsvpc mode at their own 10.0.y.z
// address. services × tasksPer targets.
func LargeDiscoveryCluster(name string, services, tasksPer int, start time.Time) (*Cluster, []*TaskDefinition) {
	c := LargeCluster(name, services, tasksPer, start)
	for i, in := range c.Instances {
		in.PrivateIP = fmt.Sprintf("10.1.%d.%d", (i>>8)&255, i&255)
	}
	bridge := func(td string) bool {
		var n int
		_, _ = fmt.Sscanf(td, "svc-%d:", &n)
		return n%10 == 0
	}
	for i, t := range c.Tasks {
		t.Net = &TaskNetwork{Tags: map[string]string{"team": "shop", "aws:ecs:serviceName": t.Service}}
		t.CapacityProvider = "FARGATE"
		if bridge(t.TaskDefinition) {
			t.CapacityProvider = ""
			t.ContainerInstance = c.Instances[i%len(c.Instances)].ID
			t.Net.Bindings = map[string]map[int]int{"app": {8080: 32768 + i%28000}}
		} else {
			t.Net.PrivateIP = fmt.Sprintf("10.0.%d.%d", (i>>8)&255, i&255)
		}
	}
	var defs []*TaskDefinition
	seen := map[string]bool{}
	for _, t := range c.Tasks {
		if seen[t.TaskDefinition] {
			continue
		}
		seen[t.TaskDefinition] = true
		family, rev, _ := strings.Cut(t.TaskDefinition, ":")
		n, _ := strconv.Atoi(rev)
		mode := "awsvpc"
		if bridge(t.TaskDefinition) {
			mode = "bridge"
		}
		defs = append(defs, &TaskDefinition{Family: family, Revision: n, NetworkMode: mode, Containers: []ContainerDefinition{{
			Name: "app", Image: "public.ecr.aws/shop/" + family + ":" + rev,
			DockerLabels: map[string]string{"PROMETHEUS_EXPORTER_PORT": "8080", "com.example.team": "shop"},
			PortMappings: []PortMapping{{Name: "http", ContainerPort: 8080}},
		}}})
	}
	return c, defs
}
