package sim

import (
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CloudWatch is a fake of CloudWatch GetMetricData speaking Smithy RPC v2
// CBOR as aws-sdk-go-v2 sends it: POST
// /service/GraniteServiceVersion20100801/operation/GetMetricData,
// Smithy-Protocol: rpc-v2-cbor, CBOR bodies with timestamps as tag 1 around
// epoch seconds, and errors as __type and message with an
// X-Amzn-Query-Error header. It serves ECS/ContainerInsights datapoints, one
// a minute, computed from the query so that the same query always gets the
// same numbers, published Lag after the minute they describe.
type CloudWatch struct {
	now func() time.Time

	mu sync.Mutex
	// Lag is CloudWatch's publication delay: datapoints newer than
	// now-Lag are not there yet.
	Lag time.Duration
	// PageDatapoints bounds the datapoints of one response; more results
	// continue behind a NextToken.
	PageDatapoints int
	// Missing says which series have no data at all.
	Missing  func(metric string, dims map[string]string) bool
	throttle int
	down     bool
	calls    int
	queries  int
}

// SetDown makes every call fail with a 503, as during an outage.
func (s *CloudWatch) SetDown(down bool) { s.mu.Lock(); s.down = down; s.mu.Unlock() }

// NewCloudWatch returns a fake with a 90s publication lag.
func NewCloudWatch(now func() time.Time) *CloudWatch {
	if now == nil {
		now = time.Now
	}
	return &CloudWatch{now: now, Lag: 90 * time.Second, PageDatapoints: 100800, Missing: FargateOnlyMissing}
}

// FargateOnlyMissing leaves out what only Fargate tasks report (ephemeral
// storage) and what only enhanced observability publishes, except for the
// Fargate payments service of ShopScenario.
func FargateOnlyMissing(metric string, dims map[string]string) bool {
	switch {
	case strings.HasPrefix(metric, "EphemeralStorage"):
		return dims["ServiceName"] != "payments"
	case strings.HasPrefix(metric, "Container") && metric != "ContainerInstanceCount", strings.HasPrefix(metric, "Task") && metric != "TaskCount" && metric != "TaskSetCount", metric == "RestartCount":
		return true
	}
	return false
}

// Throttle answers the next n calls with Throttling.
func (s *CloudWatch) Throttle(n int) { s.mu.Lock(); s.throttle = n; s.mu.Unlock() }

// Calls returns how many GetMetricData calls were served, and how many
// queries they carried, since the last ResetCalls.
func (s *CloudWatch) Calls() (calls, queries int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.queries
}

// ResetCalls zeroes the counts.
func (s *CloudWatch) ResetCalls() { s.mu.Lock(); s.calls, s.queries = 0, 0; s.mu.Unlock() }

type gmdQuery struct {
	ID         string `cbor:"Id"`
	MetricStat *struct {
		Metric struct {
			Namespace  string `cbor:"Namespace"`
			MetricName string `cbor:"MetricName"`
			Dimensions []struct {
				Name  string `cbor:"Name"`
				Value string `cbor:"Value"`
			} `cbor:"Dimensions"`
		} `cbor:"Metric"`
		Period int    `cbor:"Period"`
		Stat   string `cbor:"Stat"`
	} `cbor:"MetricStat"`
}

type gmdRequest struct {
	Queries   []gmdQuery `cbor:"MetricDataQueries"`
	StartTime time.Time  `cbor:"StartTime"`
	EndTime   time.Time  `cbor:"EndTime"`
	NextToken string     `cbor:"NextToken"`
}

type gmdResult struct {
	ID         string      `cbor:"Id"`
	Label      string      `cbor:"Label"`
	Timestamps []time.Time `cbor:"Timestamps"`
	Values     []float64   `cbor:"Values"`
	StatusCode string      `cbor:"StatusCode"`
}

var cborEnc, _ = cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired}.EncMode()

const cwPath = "/service/GraniteServiceVersion20100801/operation/"

// ServeHTTP implements http.Handler.
func (s *CloudWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, cwPath)
	if r.Method != http.MethodPost || !ok || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		writeCBORError(w, 400, "InvalidAction", "want POST "+cwPath+"<Operation> with Smithy-Protocol: rpc-v2-cbor")
		return
	}
	if op != "GetMetricData" {
		writeCBORError(w, 400, "InvalidAction", "operation "+op+" is not simulated")
		return
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		writeCBORError(w, 503, "ServiceUnavailable", "simulated outage")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var req gmdRequest
	if err := cbor.Unmarshal(body, &req); err != nil {
		writeCBORError(w, 400, "InvalidParameterValue", "cannot decode request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.calls++
	s.queries += len(req.Queries)
	throttled := s.throttle > 0
	if throttled {
		s.throttle--
	}
	lag, pageSize, missing := s.Lag, s.PageDatapoints, s.Missing
	s.mu.Unlock()
	if throttled {
		writeCBORError(w, 400, "Throttling", "Rate exceeded")
		return
	}
	if len(req.Queries) > 500 {
		writeCBORError(w, 400, "InvalidParameterValue", "The collection MetricDataQueries must not have a size greater than 500.")
		return
	}
	if !req.EndTime.After(req.StartTime) {
		writeCBORError(w, 400, "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
		return
	}
	start := 0
	if req.NextToken != "" {
		start, _ = strconv.Atoi(req.NextToken)
	}
	published := s.now().Add(-lag)
	var results []gmdResult
	used, next := 0, -1
	for i := start; i < len(req.Queries); i++ {
		q := req.Queries[i]
		res := gmdResult{ID: q.ID, StatusCode: "Complete"}
		if ms := q.MetricStat; ms != nil {
			dims := map[string]string{}
			for _, d := range ms.Metric.Dimensions {
				dims[d.Name] = d.Value
			}
			res.Label = ms.Metric.MetricName
			if !missing(ms.Metric.MetricName, dims) && ms.Metric.Namespace == "ECS/ContainerInsights" {
				period := time.Duration(max(ms.Period, 60)) * time.Second
				// Newest first, as ScanBy TimestampDescending returns them.
				for t := req.EndTime.Truncate(period); !t.Before(req.StartTime); t = t.Add(-period) {
					if t.Add(period).After(published) || !t.Before(req.EndTime) {
						continue
					}
					res.Timestamps = append(res.Timestamps, t)
					res.Values = append(res.Values, InsightsValue(ms.Metric.MetricName, dims, t))
				}
			}
		}
		if used > 0 && used+len(res.Values) > pageSize {
			next = i
			break
		}
		used += len(res.Values)
		results = append(results, res)
	}
	out := map[string]any{"MetricDataResults": results, "Messages": []any{}}
	if next >= 0 {
		out["NextToken"] = strconv.Itoa(next)
	}
	b, err := cborEnc.Marshal(out)
	if err != nil {
		writeCBORError(w, 500, "InternalServiceError", err.Error())
		return
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(b)
}

// InsightsValue is the simulated value of a metric for a series at t, in
// Container Insights' own units: a level set by the series, moving a little
// from minute to minute.
func InsightsValue(metric string, dims map[string]string, t time.Time) float64 {
	keys := make([]string, 0, len(dims))
	for k := range dims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New32a()
	h.Write([]byte(metric))
	for _, k := range keys {
		h.Write([]byte(k + "=" + dims[k]))
	}
	base := float64(h.Sum32()%900 + 100)
	if strings.HasSuffix(metric, "Count") {
		return math.Round(base / 100)
	}
	return math.Round(base*(1+0.1*math.Sin(float64(t.Unix()/60)))*100) / 100
}

func writeCBORError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", code+";"+fault)
	w.WriteHeader(status)
	b, _ := cborEnc.Marshal(map[string]string{"__type": "com.amazonaws.cloudwatch#" + code, "message": msg})
	_, _ = w.Write(b)
}
