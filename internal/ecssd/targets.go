package ecssd

import (
	"cmp"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The meta labels of a target. Names follow those of the OpenTelemetry
// Collector's ecsobserver extension where it has one: the ECS discovery of
// prometheus/prometheus#9310 is not settled.
const (
	MetaPrefix           = "__meta_ecs_"
	MetaCluster          = MetaPrefix + "cluster_name"
	MetaService          = MetaPrefix + "service_name"
	MetaTaskGroup        = MetaPrefix + "task_group"
	MetaTaskARN          = MetaPrefix + "task_arn"
	MetaTaskID           = MetaPrefix + "task_id"
	MetaFamily           = MetaPrefix + "task_definition_family"
	MetaRevision         = MetaPrefix + "task_definition_revision"
	MetaLaunchType       = MetaPrefix + "task_launch_type"
	MetaCapacityProvider = MetaPrefix + "task_capacity_provider"
	MetaAvailabilityZone = MetaPrefix + "task_availability_zone"
	MetaNetworkMode      = MetaPrefix + "task_network_mode"
	MetaTaskTagPrefix    = MetaPrefix + "task_tags_"
	MetaContainer        = MetaPrefix + "container_name"
	MetaImage            = MetaPrefix + "container_image"
	MetaContainerLabel   = MetaPrefix + "container_labels_"
	MetaPortName         = MetaPrefix + "container_port_name"
	MetaPort             = MetaPrefix + "container_port"
	MetaInstanceID       = MetaPrefix + "ec2_instance_id"
	MetaPrivateIP        = MetaPrefix + "ec2_private_ip"
	MetaRole             = MetaPrefix + "target_role"
)

// Target is one scrape target: a port of a container of a running task.
type Target struct {
	Cluster, Service, Role string
	Task                   string // the task's ID
	Address                string
	// Labels are the target's labels until it is rendered into group.
	Labels map[string]string

	container, path string // for sorting
	group           []byte // the target group, when kept from an earlier answer
}

// Group is one target group of Prometheus's HTTP and file service discovery.
type Group struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// taskTargets builds the targets of one running task. instanceIP is the
// private IP of its EC2 instance, empty when unknown. The targets live
// until their service is rendered; the answer copies what it keeps.
func taskTargets(cluster string, rt runningTask, def *taskDef, instanceID, instanceIP string, opts Options) []Target {
	t, taskARN, taskID, service := rt.Task, aws.ToString(rt.TaskArn), rt.id, rt.service
	mode := def.networkMode
	if t.LaunchType == types.LaunchTypeFargate || mode == "" && len(t.Attachments) > 0 && eniIP(t) != "" {
		mode = types.NetworkModeAwsvpc
	}
	if mode == "" {
		mode = types.NetworkModeBridge // ECS's default on Linux EC2 instances
	}
	common := map[string]string{
		MetaCluster: cluster, MetaTaskGroup: aws.ToString(t.Group),
		MetaTaskARN: taskARN, MetaTaskID: taskID,
		MetaFamily: def.family, MetaRevision: strconv.Itoa(def.revision),
		MetaLaunchType: string(t.LaunchType), MetaCapacityProvider: aws.ToString(t.CapacityProviderName),
		MetaAvailabilityZone: aws.ToString(t.AvailabilityZone), MetaNetworkMode: string(mode),
	}
	if service != "" {
		common[MetaService] = service
	}
	if instanceID != "" {
		common[MetaInstanceID] = instanceID
	}
	if instanceIP != "" && instanceAddressed(mode) {
		common[MetaPrivateIP] = instanceIP
	}
	addSanitised(common, MetaTaskTagPrefix, tagMap(t.Tags))

	var out []Target
	// One target per address and path: in awsvpc mode the containers of
	// a task share its address, and two of them may name the same port.
	seen := map[string]bool{}
	for i := range t.Containers {
		ct := &t.Containers[i]
		name := aws.ToString(ct.Name)
		if aws.ToString(ct.LastStatus) == "STOPPED" {
			continue // a container that exited, in a task that goes on
		}
		cd, ok := def.containers[name]
		if !ok {
			continue
		}
		role := RoleExporter
		ports := cd.ports
		if opts.isSidecar(name, cd.image) {
			role = RoleSidecar
			if len(ports) == 0 {
				ports = []port{{Number: opts.SidecarPort, Path: opts.SidecarPath}}
			}
		}
		for _, p := range ports {
			host, hostPort := address(t, ct, mode, p.Number, instanceIP)
			if host == "" {
				continue // not reachable (yet): no ENI address, no binding or no instance IP
			}
			addr := net.JoinHostPort(host, strconv.Itoa(hostPort))
			if seen[addr+p.Path] {
				continue
			}
			seen[addr+p.Path] = true
			labels := make(map[string]string, len(common)+len(cd.labels)+8)
			for k, v := range common {
				labels[k] = v
			}
			labels[MetaContainer] = name
			labels[MetaImage] = cd.image
			labels[MetaPort] = strconv.Itoa(p.Number)
			labels[MetaPortName] = p.Name
			labels[MetaRole] = role
			addSanitised(labels, MetaContainerLabel, cd.labels)
			labels["__metrics_path__"] = p.Path
			if p.Job != "" {
				// As prometheus-ecs-discovery does: the label names the job.
				labels["job"] = p.Job
			}
			// Prometheus reads an empty label as an absent one: leave it out.
			maps.DeleteFunc(labels, func(_, v string) bool { return v == "" })
			out = append(out, Target{
				Cluster: cluster, Service: service, Role: role, Task: taskID,
				Address: addr, Labels: labels, container: name, path: p.Path,
			})
		}
	}
	return out
}

func (o Options) isSidecar(name, image string) bool {
	if slices.Contains(o.SidecarNames, name) {
		return true
	}
	for _, s := range o.SidecarImages {
		if s != "" && strings.Contains(image, s) {
			return true
		}
	}
	return false
}

// address is where a container port of a task is reached, as ECS reports
// it: the task ENI's private IP in awsvpc mode; the container instance's
// private IP and the host port of the network binding in bridge mode
// (dynamic host ports included) and host mode (where the host port is the
// container port when no binding is reported).
func address(t *types.Task, ct *types.Container, mode types.NetworkMode, containerPort int, instanceIP string) (string, int) {
	if mode == types.NetworkModeAwsvpc {
		for _, ni := range ct.NetworkInterfaces {
			if ip := aws.ToString(ni.PrivateIpv4Address); ip != "" {
				return ip, containerPort
			}
		}
		return eniIP(t), containerPort
	}
	if instanceIP == "" || mode == types.NetworkModeNone {
		return "", 0
	}
	for _, b := range ct.NetworkBindings {
		if int(aws.ToInt32(b.ContainerPort)) == containerPort && aws.ToInt32(b.HostPort) > 0 {
			return instanceIP, int(aws.ToInt32(b.HostPort))
		}
	}
	if mode == types.NetworkModeHost {
		return instanceIP, containerPort
	}
	return "", 0
}

// eniIP is the private IPv4 address of the task's elastic network interface.
func eniIP(t *types.Task) string {
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, kv := range a.Details {
			if aws.ToString(kv.Name) == "privateIPv4Address" {
				return aws.ToString(kv.Value)
			}
		}
	}
	return ""
}

func tagMap(tags []types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, tag := range tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// addSanitised adds each key of m, its characters outside [a-zA-Z0-9_]
// replaced by _ as Prometheus's own discoveries do, under prefix. Keys
// that sanitise alike keep the value of the first in sorted order.
func addSanitised(labels map[string]string, prefix string, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := prefix + invalidLabelChars.ReplaceAllString(k, "_")
		if _, taken := labels[name]; !taken {
			labels[name] = m[k]
		}
	}
}

// sortTargets orders targets by cluster, service and task, then container,
// address and path: answers that do not change are byte for byte the same,
// and a service's targets are together (clusterAnswer keeps them so). The
// targets of a task kept from the last answer (ofTask) have no container,
// address or path; they stay in the order they came in.
func sortTargets(ts []Target) {
	slices.SortStableFunc(ts, func(a, b Target) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Service, b.Service), strings.Compare(a.Task, b.Task),
			strings.Compare(a.container, b.container), strings.Compare(a.Address, b.Address),
			strings.Compare(a.path, b.path))
	})
}
