package ecssd

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// The docker labels that ask for a container to be scraped. Two sets are
// the ones users already have, so that a task definition written for
// another discoverer works unchanged; the third is ecswatch's own, the only
// one that names several ports.
const (
	// prometheus-ecs-discovery (teralytics): a container port, a path and
	// a job name.
	LabelPort    = "PROMETHEUS_EXPORTER_PORT"
	LabelPath    = "PROMETHEUS_EXPORTER_PATH"
	LabelJobName = "PROMETHEUS_EXPORTER_JOB_NAME"
	// The CloudWatch agent's ECS service discovery, with the label names
	// of its documentation ("Detailed guide for autodiscovery on Amazon ECS
	// clusters"); the job label becomes the target's job.
	LabelCWPort    = "ECS_PROMETHEUS_EXPORTER_PORT"
	LabelCWPath    = "ECS_PROMETHEUS_METRICS_PATH"
	LabelCWJobName = "ECS_PROMETHEUS_JOB_NAME"
	// ecswatch: comma-separated [name=]port[/path] entries, e.g.
	// "app=8080/metrics,jvm=9404"; and the job of every entry.
	LabelPorts   = "ecswatch.prometheus.ports"
	LabelJob     = "ecswatch.prometheus.job"
	defaultPath  = "/metrics"
	maxPortValue = 65535
)

// Reasons a task definition's labels are malformed (internal/ecsvocab).
const (
	ReasonInvalidPort       = ecsvocab.SDInvalidPort
	ReasonPortOutOfRange    = ecsvocab.SDPortOutOfRange
	ReasonDuplicatePortName = ecsvocab.SDDuplicatePortName
	ReasonInvalidPortName   = ecsvocab.SDInvalidPortName
	ReasonInvalidPath       = ecsvocab.SDInvalidPath
)

// port is one port of a container to scrape.
type port struct {
	Number int    // the container port
	Name   string // the port mapping's or the ecswatch label's name; may be empty
	Path   string
	Job    string // empty: the scrape config's job
}

// labelError says which label of which container is malformed and why.
type labelError struct {
	Container, Label, Value, Reason string
}

func (e *labelError) Error() string {
	return fmt.Sprintf("container %s: docker label %s=%q: %s", e.Container, e.Label, e.Value, strings.ReplaceAll(e.Reason, "_", " "))
}

var portName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// containerPorts reads the ports cd asks to be scraped on. The same port
// and path asked for by several conventions is one target.
func containerPorts(cd types.ContainerDefinition) ([]port, error) {
	name := aws.ToString(cd.Name)
	labels := cd.DockerLabels
	var ports []port
	add := func(p port) {
		for i, q := range ports {
			if q.Number == p.Number && q.Path == p.Path {
				ports[i].Name = cmpOr(q.Name, p.Name)
				ports[i].Job = cmpOr(q.Job, p.Job)
				return
			}
		}
		ports = append(ports, p)
	}
	for _, set := range []struct{ port, path, job string }{{LabelPort, LabelPath, LabelJobName}, {LabelCWPort, LabelCWPath, LabelCWJobName}} {
		v, ok := labels[set.port]
		if !ok {
			continue
		}
		n, err := parsePort(name, set.port, v)
		if err != nil {
			return nil, err
		}
		path := defaultPath
		if p, ok := labels[set.path]; ok {
			if path, err = parsePath(name, set.path, p); err != nil {
				return nil, err
			}
		}
		add(port{Number: n, Path: path, Job: labels[set.job]})
	}
	if v, ok := labels[LabelPorts]; ok {
		var names []string
		for entry := range strings.SplitSeq(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			var p port
			spec := entry
			if n, rest, ok := strings.Cut(entry, "="); ok {
				if !portName.MatchString(n) {
					return nil, &labelError{name, LabelPorts, v, ReasonInvalidPortName}
				}
				if slices.Contains(names, n) {
					return nil, &labelError{name, LabelPorts, v, ReasonDuplicatePortName}
				}
				names = append(names, n)
				p.Name, spec = n, rest
			}
			num, path, hasPath := strings.Cut(spec, "/")
			var err error
			if p.Number, err = parsePort(name, LabelPorts, num); err != nil {
				err.(*labelError).Value = v
				return nil, err
			}
			p.Path = defaultPath
			if hasPath {
				p.Path = "/" + path
			}
			p.Job = labels[LabelJob]
			add(p)
		}
	}
	// A port without a name of its own takes its port mapping's: ECS
	// names port mappings for Service Connect.
	for i := range ports {
		if ports[i].Name != "" {
			continue
		}
		for _, pm := range cd.PortMappings {
			if int(aws.ToInt32(pm.ContainerPort)) == ports[i].Number {
				ports[i].Name = aws.ToString(pm.Name)
			}
		}
	}
	return ports, nil
}

func parsePort(container, label, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, &labelError{container, label, v, ReasonInvalidPort}
	}
	if n < 1 || n > maxPortValue {
		return 0, &labelError{container, label, v, ReasonPortOutOfRange}
	}
	return n, nil
}

func parsePath(container, label, v string) (string, error) {
	if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, " \t\n?#") {
		return "", &labelError{container, label, v, ReasonInvalidPath}
	}
	return v, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
