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
