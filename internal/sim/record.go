package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
)

// PayloadName names the file that holds the answer to a request.
type PayloadName func(r *http.Request, body []byte) string

// ECSPayload names an ECS API answer by operation; ListTasks is asked once
// per desired status, and each has its file.
func ECSPayload(r *http.Request, body []byte) string {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), ecsTargetPrefix)
	if op == "ListTasks" {
		var in struct{ DesiredStatus string }
		_ = json.Unmarshal(body, &in)
		return op + "-" + in.DesiredStatus + ".json"
	}
	return op + ".json"
}

// MetadataPayload names a task metadata endpoint answer: task.json for
// /task, stats.json for /task/stats.
func MetadataPayload(r *http.Request, _ []byte) string {
	if strings.HasSuffix(r.URL.Path, "/stats") {
		return "stats.json"
	}
	return "task.json"
}

// Record serves next and writes each answer, indented, into dir under the
// name name gives it: the payloads a test can later Replay, as data.
func Record(dir string, next http.Handler, name PayloadName) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var pretty bytes.Buffer
		if json.Indent(&pretty, rec.Body.Bytes(), "", "  ") == nil {
			pretty.WriteByte('\n')
			if err := os.MkdirAll(dir, 0o755); err == nil {
				_ = os.WriteFile(filepath.Join(dir, name(r, body)), pretty.Bytes(), 0o644)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// Replay answers each request with the file name gives it in the directory
// dir returns (asked at each request, so a test can step through recorded
// moments), as JSON; a request with no recorded answer gets a 400 in the
// AWS JSON error shape.
func Replay(dir func() string, name PayloadName) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		answer, err := os.ReadFile(filepath.Join(dir(), name(r, body)))
		if err != nil {
			writeAWSError(w, awsError{400, "InvalidParameterException", "no recorded answer for " + name(r, body)})
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(answer)
	})
}
