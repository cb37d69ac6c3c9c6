package events

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecswatch/ecswatch/collector"
	"github.com/ecswatch/ecswatch/internal/testutil"
)

// TestParseGolden pins the events each fixture produces.
func TestParseGolden(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	var b strings.Builder
	for _, f := range files {
		body := testutil.ReadFile(t, f)
		env, evs, err := Parse(body)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		out, _ := json.MarshalIndent(evs, "", "  ")
		b.WriteString("== " + filepath.Base(f) + " (" + env.DetailType + ", " + env.ID + ")\n" + string(out) + "\n")
	}
	testutil.Golden(t, "testdata/parsed.golden", []byte(b.String()))
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
	}{
		{"garbage", "not json", "decode event"},
		{"truncated", `{"version":"0","id":"x","detail-type":"ECS Task`, "decode event"},
		{"not ECS", `{"id":"x","source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`, ErrNotECS.Error()},
		{"no id", `{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{}}`, "no id"},
		{"task without arn", `{"id":"x","source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"lastStatus":"STOPPED"}}`, "no taskArn"},
		{"detail of the wrong shape", `{"id":"x","source":"aws.ecs","detail-type":"ECS Deployment State Change","detail":[1]}`, "cannot unmarshal"},
		{"SNS around garbage", `{"Type":"Notification","Message":"{oops"}`, "inside SNS envelope"},
	}
	for _, tt := range tests {
		_, _, err := Parse([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, _, err := Parse([]byte(`{"id":"x","source":"aws.ec2","detail-type":"x","detail":{}}`)); !errors.Is(err, ErrNotECS) {
		t.Errorf("err = %v, want ErrNotECS", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		body, _ := os.ReadFile(file)
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, evs, err := Parse(body)
		if err != nil {
			return
		}
		if env == nil {
			t.Fatal("nil envelope without error")
		}
		for _, e := range evs {
			if e.ID == "" || e.Kind == "" {
				t.Fatalf("event without id or kind: %+v", e)
			}
		}
	})
}

// TestStopReasonFromEvents: a stopped task received as an event gets the
// same class as polling gives it (both go through rules.StoppedTask).
func TestStopReasonFromEvents(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"task_stopped_oom.json":        "oom",
		"task_stopped_image_pull.json": "image_pull",
		"task_stopped_secret.json":     "resource_init",
		"task_stopped_elb.json":        "elb_health_check",
		"task_stopped_spot.json":       "spot_interruption",
	} {
		_, evs, err := Parse(testutil.ReadFile(t, "testdata/"+file))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			if e.Kind == collector.EventTaskStopReason {
				got = append(got, e.Label)
				if e.ID != e.TaskARN || !strings.Contains(e.Message, "[stopCode ") {
					t.Errorf("%s: event %+v", file, e)
				}
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: classes %q, want [%s]", file, got, want)
		}
	}
}

// TestEventsAppliedAsTheyArrive: the events ECS sends about failing tasks
// and capacity each become what polling would count, under the same key.
func TestEventsAppliedAsTheyArrive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, kind, id, label string
		identity              collector.Identity
		container             string
	}{
		{"task_running_sidecar_oom.json", string(collector.EventOOMKill), "arn:aws:ecs:us-west-2:111122223333:task/prod/5c3a9e1f0b2d4c6e8a0b1c2d3e4f5c01/log-router", "",
			collector.Identity{Cluster: "prod", Service: "api", Family: "api"}, "log-router"},
		{"service_task_start_impaired.json", string(collector.EventServiceAction), "7f1e2d3c-0001-4000-8000-000000000202", "SERVICE_TASK_START_IMPAIRED",
			collector.Identity{Cluster: "prod", Service: "api"}, ""},
		{"service_task_configuration_failure.json", string(collector.EventServiceAction), "7f1e2d3c-0001-4000-8000-000000000203", "SERVICE_TASK_CONFIGURATION_FAILURE",
			collector.Identity{Cluster: "prod", Service: "api"}, ""},
		{"daemon_placement_constraint_violated.json", string(collector.EventServiceAction), "7f1e2d3c-0001-4000-8000-000000000204", "SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED",
			collector.Identity{Cluster: "prod", Service: "api"}, ""},
		{"taskset_steady_state.json", string(collector.EventServiceAction), "7f1e2d3c-0001-4000-8000-000000000205", "TASKSET_STEADY_STATE",
			collector.Identity{Cluster: "prod", Service: "api"}, ""},
		{"container_instance_disconnected.json", string(collector.EventInstanceChange), "7f1e2d3c-0001-4000-8000-000000000206", "agent_disconnected",
			collector.Identity{Cluster: "prod"}, ""},
		{"container_instance_draining.json", string(collector.EventInstanceChange), "7f1e2d3c-0001-4000-8000-000000000207", "DRAINING",
			collector.Identity{Cluster: "prod"}, ""},
	}
	for _, tt := range tests {
		_, evs, err := Parse(testutil.ReadFile(t, "testdata/"+tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || string(evs[0].Kind) != tt.kind || evs[0].ID != tt.id || evs[0].Label != tt.label ||
			evs[0].Identity != tt.identity || evs[0].Container != tt.container {
			t.Errorf("%s: %+v", tt.file, evs)
		}
	}
}
