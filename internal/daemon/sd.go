//go:build !sidecar

package daemon

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/collector/ecsapi"
	"github.com/ecswatch/ecswatch/internal/config"
	"github.com/ecswatch/ecswatch/internal/ecssd"
	"github.com/ecswatch/ecswatch/internal/taskdefs"
)

// serviceDiscovery builds Prometheus service discovery on the standalone
// collector: it observes every cluster the collector reads, asks for task
// tags, and serves its targets at the configured path.
func serviceDiscovery(cfg *config.Config, awsCfg aws.Config, client *ecs.Client, store *collector.Store, logger *slog.Logger, simulated bool, mount mounter, opts *ecsapi.Options) {
	sd := cfg.Standalone.ServiceDiscovery
	// The ECS endpoint override is not EC2's: EC2 gets its own, or AWS's.
	var ec2Client ecssd.InstancesAPI
	if sd.EC2Endpoint != "" || !simulated {
		ec2Client = ec2.NewFromConfig(awsCfg, func(o *ec2.Options) {
			o.BaseEndpoint = nil
			if sd.EC2Endpoint != "" {
				o.BaseEndpoint = aws.String(sd.EC2Endpoint)
			}
		})
	}
	// One task definition cache for headroom and discovery: each is
	// described once.
	if opts.TaskDefinitions == nil {
		opts.TaskDefinitions = taskdefs.New(client, time.Duration(cfg.Standalone.CallTimeout), opts.Parallel)
	}
	d := ecssd.New(opts.TaskDefinitions, ec2Client, store, logger, ecssd.Options{
		SidecarNames: sd.Sidecar.ContainerNames, SidecarImages: sd.Sidecar.Images,
		SidecarPort: sd.Sidecar.Port, SidecarPath: sd.Sidecar.MetricsPath,
		CallTimeout: time.Duration(cfg.Standalone.CallTimeout), File: sd.File,
	})
	opts.Observe, opts.Forget = d.Observe, d.Forget
	opts.TaskTags = true
	mount("GET "+sd.Path, d)
	logger.Info("prometheus service discovery enabled", "path", sd.Path, "file", sd.File)
}
