package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// PayloadName names the file that holds the answer to a request.
type PayloadName func(r *http.Request, body []byte) string

// ECSPayload names an ECS API answer by operation; ListTasks is asked once
// per desired status, ListServiceDeployments once per service and
// DescribeTaskDefinition once per task definition, and each has its file.
func ECSPayload(r *http.Request, body []byte) string {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), ecsTargetPrefix)
	var in struct{ DesiredStatus, Service, TaskDefinition string }
	_ = json.Unmarshal(body, &in)
	switch op {
	case "ListTasks":
		return op + "-" + in.DesiredStatus + ".json"
	case "ListServiceDeployments":
		return op + "-" + lastPart(in.Service) + ".json"
	case "DescribeTaskDefinition":
		return op + "-" + strings.ReplaceAll(lastPart(in.TaskDefinition), ":", "-") + ".json"
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

// CloudWatchPayload names a GetMetricData answer (CBOR) by its first query
// and page, so that each call of a cycle and each page has its file.
func CloudWatchPayload(_ *http.Request, body []byte) string {
	var req gmdRequest
	_ = cbor.Unmarshal(body, &req)
	name := "GetMetricData"
	if len(req.Queries) > 0 {
		name += "-" + req.Queries[0].ID
	}
	if req.NextToken != "" {
		h := fnv.New32a()
		_, _ = h.Write([]byte(req.NextToken))
		name += fmt.Sprintf("-%08x", h.Sum32())
	}
	return name + ".cbor"
}

// Record serves next and writes each successful answer into dir under the
// name name gives it, JSON indented and CBOR as it is: the payloads a test
// can later Replay, as data.
func Record(dir string, next http.Handler, name PayloadName) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		file := name(r, body)
		answer := rec.Body.Bytes()
		var pretty bytes.Buffer
		if json.Indent(&pretty, answer, "", "  ") == nil {
			pretty.WriteByte('\n')
			answer = pretty.Bytes()
		}
		if rec.Code == http.StatusOK && (strings.HasSuffix(file, ".cbor") || pretty.Len() > 0) {
			if err := os.MkdirAll(dir, 0o755); err == nil {
				_ = os.WriteFile(filepath.Join(dir, file), answer, 0o644)
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
// moments), as JSON or, for a .cbor file, as Smithy RPC v2 CBOR. A JSON
// request with no recorded answer gets a 400 in the AWS JSON error shape; a
// CBOR one gets a 503, as from CloudWatch during an outage, which is how a
// scenario records one: by having no answer for that moment.
func Replay(dir func() string, name PayloadName) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		file := name(r, body)
		answer, err := os.ReadFile(filepath.Join(dir(), file))
		isCBOR := strings.HasSuffix(file, ".cbor")
		switch {
		case err != nil && isCBOR:
			writeCBORError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "no recorded answer for "+file)
			return
		case err != nil:
			writeAWSError(w, awsError{400, "InvalidParameterException", "no recorded answer for " + file})
			return
		case isCBOR:
			w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
			w.Header().Set("Content-Type", "application/cbor")
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		}
		_, _ = w.Write(answer)
	})
}
