package ecsapi

// The lean decoder of DescribeServices answers (see lean.go): a service
// is some forty fields, most of them read, but its deployments and its
// events (up to a hundred) each cost the SDK's decoder an allocation a
// field.

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// serviceDecoder holds the blocks and reused lists of one answer.
type serviceDecoder struct {
	r    *jsonReader
	a    arena
	p    pointers
	deps []types.Deployment
	evs  []types.ServiceEvent
	sets []types.TaskSet
	cps  []types.CapacityProviderStrategyItem
	pcs  []types.PlacementConstraint
	svcs []types.Service
}

// decodeDescribeServices reads a DescribeServices answer's services (not
// its failures, which ecswatch does not read).
func decodeDescribeServices(body []byte, out *ecs.DescribeServicesOutput) error {
	d := &serviceDecoder{r: &jsonReader{b: body}}
	r := d.r
	err := r.object(func(key []byte) error {
		if string(key) != "services" {
			return r.skip()
		}
		var err error
		out.Services, err = list(r, &d.svcs, d.service)
		return err
	})
	if err == nil && r.peek() != 0 {
		return errTrailing
	}
	return err
}

// list reads an array into the reused scratch and returns a copy of its
// exact length (nil for none): appending to the result would allocate
// some twice its size.
func list[T any](r *jsonReader, scratch *[]T, elem func(*T) error) ([]T, error) {
	start := len(*scratch)
	err := r.array(func() error {
		var zero T
		*scratch = append(*scratch, zero)
		return elem(&(*scratch)[len(*scratch)-1])
	})
	n := len(*scratch) - start
	var out []T
	if err == nil && n > 0 {
		out = append(make([]T, 0, n), (*scratch)[start:]...)
	}
	clear((*scratch)[start:])
	*scratch = (*scratch)[:start]
	return out, err
}

// service reads one service's fields that ecswatch reads: every field of
// types.Service and of the types within it that collector/ecsapi
// (collector, translate, headroom) reads, and no other:
//
//	serviceArn serviceName status launchType taskDefinition
//	desiredCount runningCount pendingCount
//	deploymentConfiguration.{maximumPercent minimumHealthyPercent strategy
//	  deploymentCircuitBreaker.{enable rollback thresholdConfiguration.{type value}}
//	  linearConfiguration.stepBakeTimeInMinutes canaryConfiguration.canaryBakeTimeInMinutes}
//	deploymentController.type
//	deployments[].{id status taskDefinition rolloutState rolloutStateReason
//	  desiredCount runningCount pendingCount failedTasks createdAt updatedAt}
//	events[].{id createdAt message}
//	taskSets[].{id taskSetArn status taskDefinition externalId computedDesiredCount
//	  runningCount pendingCount stabilityStatus stabilityStatusAt createdAt updatedAt scale.{unit value}}
//	capacityProviderStrategy[].{capacityProvider weight base}
//	placementConstraints[].type
//
// Reading another one means adding it here and to the comparison test's
// usedServiceFields (TestLeanDescribeServices), with a fixture that has it.
func (d *serviceDecoder) service(s *types.Service) error {
	r, a, p := d.r, &d.a, &d.p
	return r.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "serviceArn":
			return readString(r, a, p, &s.ServiceArn)
		case "serviceName":
			return readString(r, a, p, &s.ServiceName)
		case "status":
			return readString(r, a, p, &s.Status)
		case "launchType":
			return readEnum(r, a, &s.LaunchType)
		case "taskDefinition":
			return readString(r, a, p, &s.TaskDefinition)
		case "desiredCount":
			return readPlainInt32(r, &s.DesiredCount)
		case "runningCount":
			return readPlainInt32(r, &s.RunningCount)
		case "pendingCount":
			return readPlainInt32(r, &s.PendingCount)
		case "deploymentConfiguration":
			if r.null() {
				return nil
			}
			s.DeploymentConfiguration = &types.DeploymentConfiguration{}
			return d.deploymentConfiguration(s.DeploymentConfiguration)
		case "deploymentController":
			if r.null() {
				return nil
			}
			s.DeploymentController = &types.DeploymentController{}
			return r.object(func(key []byte) error {
				if string(key) == "type" {
					return readEnum(r, a, &s.DeploymentController.Type)
				}
				return r.skip()
			})
		case "deployments":
			s.Deployments, err = list(r, &d.deps, d.deployment)
		case "events":
			s.Events, err = list(r, &d.evs, func(e *types.ServiceEvent) error {
				return r.object(func(key []byte) error {
					switch string(key) {
					case "id":
						return readString(r, a, p, &e.Id)
					case "createdAt":
						return readTime(r, p, &e.CreatedAt)
					case "message":
						return readString(r, a, p, &e.Message)
					}
					return r.skip()
				})
			})
		case "taskSets":
			s.TaskSets, err = list(r, &d.sets, d.taskSet)
		case "capacityProviderStrategy":
			s.CapacityProviderStrategy, err = list(r, &d.cps, func(c *types.CapacityProviderStrategyItem) error {
				return r.object(func(key []byte) error {
					switch string(key) {
					case "capacityProvider":
						return readString(r, a, p, &c.CapacityProvider)
					case "weight":
						return readPlainInt32(r, &c.Weight)
					case "base":
						return readPlainInt32(r, &c.Base)
					}
					return r.skip()
				})
			})
		case "placementConstraints":
			s.PlacementConstraints, err = list(r, &d.pcs, func(c *types.PlacementConstraint) error {
				return r.object(func(key []byte) error {
					if string(key) == "type" {
						return readEnum(r, a, &c.Type)
					}
					return r.skip()
				})
			})
		default:
			return r.skip()
		}
		return err
	})
}

func (d *serviceDecoder) deploymentConfiguration(dc *types.DeploymentConfiguration) error {
	r, a, p := d.r, &d.a, &d.p
	return r.object(func(key []byte) error {
		switch string(key) {
		case "maximumPercent":
			return readInt32(r, p, &dc.MaximumPercent)
		case "minimumHealthyPercent":
			return readInt32(r, p, &dc.MinimumHealthyPercent)
		case "strategy":
			return readEnum(r, a, &dc.Strategy)
		case "deploymentCircuitBreaker":
			if r.null() {
				return nil
			}
			cb := &types.DeploymentCircuitBreaker{}
			dc.DeploymentCircuitBreaker = cb
			return r.object(func(key []byte) error {
				switch string(key) {
				case "enable":
					return readPlainBool(r, &cb.Enable)
				case "rollback":
					return readPlainBool(r, &cb.Rollback)
				case "thresholdConfiguration":
					if r.null() {
						return nil
					}
					tc := &types.ThresholdConfiguration{}
					cb.ThresholdConfiguration = tc
					return r.object(func(key []byte) error {
						switch string(key) {
						case "type":
							return readEnum(r, a, &tc.Type)
						case "value":
							return readPlainInt32(r, &tc.Value)
						}
						return r.skip()
					})
				}
				return r.skip()
			})
		case "linearConfiguration":
			if r.null() {
				return nil
			}
			lc := &types.LinearConfiguration{}
			dc.LinearConfiguration = lc
			return r.object(func(key []byte) error {
				if string(key) == "stepBakeTimeInMinutes" {
					return readInt32(r, p, &lc.StepBakeTimeInMinutes)
				}
				return r.skip()
			})
		case "canaryConfiguration":
			if r.null() {
				return nil
			}
			cc := &types.CanaryConfiguration{}
			dc.CanaryConfiguration = cc
			return r.object(func(key []byte) error {
				if string(key) == "canaryBakeTimeInMinutes" {
					return readInt32(r, p, &cc.CanaryBakeTimeInMinutes)
				}
				return r.skip()
			})
		}
		return r.skip()
	})
}

func (d *serviceDecoder) deployment(dep *types.Deployment) error {
	r, a, p := d.r, &d.a, &d.p
	return r.object(func(key []byte) error {
		switch string(key) {
		case "id":
			return readString(r, a, p, &dep.Id)
		case "status":
			return readString(r, a, p, &dep.Status)
		case "taskDefinition":
			return readString(r, a, p, &dep.TaskDefinition)
		case "rolloutState":
			return readEnum(r, a, &dep.RolloutState)
		case "rolloutStateReason":
			return readString(r, a, p, &dep.RolloutStateReason)
		case "desiredCount":
			return readPlainInt32(r, &dep.DesiredCount)
		case "runningCount":
			return readPlainInt32(r, &dep.RunningCount)
		case "pendingCount":
			return readPlainInt32(r, &dep.PendingCount)
		case "failedTasks":
			return readPlainInt32(r, &dep.FailedTasks)
		case "createdAt":
			return readTime(r, p, &dep.CreatedAt)
		case "updatedAt":
			return readTime(r, p, &dep.UpdatedAt)
		}
		return r.skip()
	})
}

func (d *serviceDecoder) taskSet(ts *types.TaskSet) error {
	r, a, p := d.r, &d.a, &d.p
	return r.object(func(key []byte) error {
		switch string(key) {
		case "id":
			return readString(r, a, p, &ts.Id)
		case "taskSetArn":
			return readString(r, a, p, &ts.TaskSetArn)
		case "status":
			return readString(r, a, p, &ts.Status)
		case "taskDefinition":
			return readString(r, a, p, &ts.TaskDefinition)
		case "externalId":
			return readString(r, a, p, &ts.ExternalId)
		case "computedDesiredCount":
			return readPlainInt32(r, &ts.ComputedDesiredCount)
		case "runningCount":
			return readPlainInt32(r, &ts.RunningCount)
		case "pendingCount":
			return readPlainInt32(r, &ts.PendingCount)
		case "stabilityStatus":
			return readEnum(r, a, &ts.StabilityStatus)
		case "stabilityStatusAt":
			return readTime(r, p, &ts.StabilityStatusAt)
		case "createdAt":
			return readTime(r, p, &ts.CreatedAt)
		case "updatedAt":
			return readTime(r, p, &ts.UpdatedAt)
		case "scale":
			if r.null() {
				return nil
			}
			sc := &types.Scale{}
			ts.Scale = sc
			return r.object(func(key []byte) error {
				switch string(key) {
				case "unit":
					return readEnum(r, a, &sc.Unit)
				case "value":
					return readPlainFloat64(r, &sc.Value)
				}
				return r.skip()
			})
		}
		return r.skip()
	})
}

// readPlainInt32 reads a number into a field that is not a pointer; a null
// leaves it 0.
func readPlainInt32(r *jsonReader, dst *int32) error {
	if r.null() {
		return nil
	}
	n, err := r.int32()
	*dst = n
	return err
}

func readPlainBool(r *jsonReader, dst *bool) error {
	if r.null() {
		return nil
	}
	b, err := r.boolean()
	*dst = b
	return err
}

func readPlainFloat64(r *jsonReader, dst *float64) error {
	if r.null() {
		return nil
	}
	f, err := r.float64()
	*dst = f
	return err
}
