package rules

import (
	"testing"

	"github.com/ecswatch/ecswatch/collector"
)

// TestHeadroom: whether the next rolling deployment of a service proceeds
// at full speed, slowly, or not at all, in the situations operators meet.
func TestHeadroom(t *testing.T) {
	t.Parallel()
	x86 := func(arn string, cpu, mem int) Instance {
		return Instance{ARN: arn, RemainingCPU: cpu, RemainingMemory: mem, CPUArchitecture: "x86_64", OSType: "linux", Usable: true}
	}
	arm := func(arn string, cpu, mem int) Instance {
		in := x86(arn, cpu, mem)
		in.CPUArchitecture = "arm64"
		return in
	}
	onProvider := func(in Instance, provider string) Instance { in.CapacityProvider = provider; return in }
	// The service runs 4 tasks of 512 CPU units and 1 GiB on i-1 and i-2.
	task := Placement{CPUUnits: 512, MemoryMiB: 1024, Occupied: map[string]bool{"i-1": true, "i-2": true}}
	with := func(f func(p *Placement)) Placement {
		p := task
		f(&p)
		return p
	}
	tests := []struct {
		name             string
		max, min         int
		placement        Placement
		instances        []Instance
		fit, surge       int
		state            collector.HeadroomState
		noHeadroomSeries bool
	}{
		{name: "room for the whole surge", max: 200, min: 100, placement: task,
			instances: []Instance{x86("i-1", 2048, 4096), x86("i-2", 1024, 2048)}, fit: 6, surge: 4, state: collector.HeadroomFull},
		{name: "room for one task, minimumHealthyPercent 100: one at a time", max: 200, min: 100, placement: task,
			instances: []Instance{x86("i-1", 512, 1024), x86("i-2", 0, 0)}, fit: 1, surge: 4, state: collector.HeadroomSlow},
		{name: "no room, minimumHealthyPercent 100: the deployment cannot start", max: 200, min: 100, placement: task,
			instances: []Instance{x86("i-1", 256, 4096), x86("i-2", 2048, 512)}, fit: 0, surge: 4, state: collector.HeadroomStalled},
		{name: "no room, minimumHealthyPercent 50: old tasks stop first", max: 200, min: 50, placement: task,
			instances: []Instance{x86("i-1", 0, 0), x86("i-2", 0, 0)}, fit: 0, surge: 4, state: collector.HeadroomSlow},
		{name: "maximumPercent 100, minimumHealthyPercent 50: ECS's own pace", max: 100, min: 50, placement: task,
			instances: []Instance{x86("i-1", 0, 0)}, fit: 0, surge: 0, state: collector.HeadroomFull},
		{name: "maximumPercent 100 and minimumHealthyPercent 100 never deploy", max: 100, min: 100, placement: task,
			instances: []Instance{x86("i-1", 8192, 16384)}, fit: 16, surge: 0, state: collector.HeadroomStalled},
		{name: "memory is what runs out", max: 150, min: 100, placement: task,
			instances: []Instance{x86("i-1", 8192, 2047)}, fit: 1, surge: 2, state: collector.HeadroomSlow},
		{name: "capacity provider service: only its provider's instances count", max: 200, min: 100,
			placement: with(func(p *Placement) { p.CapacityProviders = []string{"cp-web"} }),
			instances: []Instance{onProvider(x86("i-1", 0, 0), "cp-web"), onProvider(x86("i-9", 8192, 16384), "cp-batch")},
			fit:       0, surge: 4, state: collector.HeadroomStalled},
		{name: "capacity provider service with room on its provider", max: 200, min: 100,
			placement: with(func(p *Placement) { p.CapacityProviders = []string{"cp-web"} }),
			instances: []Instance{onProvider(x86("i-3", 4096, 8192), "cp-web"), onProvider(x86("i-9", 8192, 16384), "cp-batch")},
			fit:       8, surge: 4, state: collector.HeadroomFull},
		{name: "arm64 service with room only on x86 instances", max: 200, min: 100,
			placement: with(func(p *Placement) { p.CPUArchitecture = "arm64"; p.Occupied = nil }),
			instances: []Instance{x86("i-1", 8192, 16384), x86("i-2", 8192, 16384)}, fit: 0, surge: 4, state: collector.HeadroomStalled},
		{name: "arm64 service, minimumHealthyPercent 50, its old tasks on x86: stopping them frees nothing it can use", max: 200, min: 50,
			placement: with(func(p *Placement) { p.CPUArchitecture = "arm64" }),
			instances: []Instance{x86("i-1", 8192, 16384), x86("i-2", 8192, 16384)}, fit: 0, surge: 4, state: collector.HeadroomStalled},
		{name: "arm64 service with an arm64 instance", max: 200, min: 100,
			placement: with(func(p *Placement) { p.CPUArchitecture = "arm64" }),
			instances: []Instance{x86("i-1", 8192, 16384), arm("i-5", 2048, 4096)}, fit: 4, surge: 4, state: collector.HeadroomFull},
		{name: "windows service on linux instances", max: 200, min: 100,
			placement: with(func(p *Placement) { p.OSType = "windows" }),
			instances: []Instance{x86("i-3", 8192, 16384)}, fit: 0, surge: 4, state: collector.HeadroomStalled},
		{name: "distinctInstance: one task per instance without one", max: 200, min: 100,
			placement: with(func(p *Placement) { p.DistinctInstance = true }),
			instances: []Instance{x86("i-1", 8192, 16384), x86("i-2", 8192, 16384), x86("i-3", 8192, 16384)}, fit: 1, surge: 4, state: collector.HeadroomSlow},
		{name: "an instance whose agent is disconnected takes nothing", max: 200, min: 100, placement: task,
			instances: []Instance{{ARN: "i-3", RemainingCPU: 8192, RemainingMemory: 16384, CPUArchitecture: "x86_64", OSType: "linux"}}, fit: 0, surge: 4, state: collector.HeadroomStalled},
		{name: "size unknown: no headroom series", max: 200, min: 100, placement: Placement{},
			instances: []Instance{x86("i-1", 8192, 16384)}, noHeadroomSeries: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &collector.Service{Desired: 4, MaximumPercent: tt.max, MinimumHealthyPercent: tt.min}
			Headroom(svc, tt.placement, tt.instances)
			h := svc.Health
			if tt.noHeadroomSeries {
				if h.HasHeadroom {
					t.Errorf("headroom = %+v, want none", h)
				}
				return
			}
			if !h.HasHeadroom || h.HeadroomTasks != tt.fit || h.SurgeTasks != tt.surge || h.HeadroomState != tt.state {
				t.Errorf("headroom %d, surge %d, %s; want %d, %d, %s", h.HeadroomTasks, h.SurgeTasks, h.HeadroomState, tt.fit, tt.surge, tt.state)
			}
		})
	}
}
