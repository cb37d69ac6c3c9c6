package sim

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// EC2API is a fake of the one EC2 operation ecswatch calls, DescribeInstances,
// speaking the ec2query protocol as aws-sdk-go-v2 sends it (POST / with a
// form body Action=DescribeInstances&Version=2016-11-15&InstanceId.N=...,
// answered in XML). It knows the container instances of the ECS fake it
// was made from, and their private IPs.
type EC2API struct {
	ecs *ECS

	mu    sync.Mutex
	calls map[string]int
	ids   map[string]int // instance IDs asked for, with how often
}

// NewEC2API returns the EC2 fake of the instances of e's clusters.
func NewEC2API(e *ECS) *EC2API {
	return &EC2API{ecs: e, calls: map[string]int{}, ids: map[string]int{}}
}

// Calls returns the calls served per operation.
func (s *EC2API) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// InstanceLookups returns how often each instance ID was asked for.
func (s *EC2API) InstanceLookups() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.ids)
}

type ec2Instance struct {
	InstanceID       string `xml:"instanceId"`
	PrivateIPAddress string `xml:"privateIpAddress,omitempty"`
	State            struct {
		Code int    `xml:"code"`
		Name string `xml:"name"`
	} `xml:"instanceState"`
}

type ec2Reservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []ec2Instance `xml:"instancesSet>item"`
}

type describeInstancesResponse struct {
	XMLName      xml.Name         `xml:"DescribeInstancesResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	RequestID    string           `xml:"requestId"`
	Reservations []ec2Reservation `xml:"reservationSet>item"`
}

// ServeHTTP implements http.Handler.
func (s *EC2API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	form, perr := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || err != nil || perr != nil {
		writeEC2Error(w, http.StatusBadRequest, "MalformedQueryString", "unreadable request")
		return
	}
	op := form.Get("Action")
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
	if op != "DescribeInstances" {
		writeEC2Error(w, http.StatusBadRequest, "InvalidAction", "The action "+op+" is not valid for this web service.")
		return
	}
	if form.Get("Version") == "" {
		writeEC2Error(w, http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version")
		return
	}
	var ids []string
	for i := 1; ; i++ {
		id := form.Get(fmt.Sprintf("InstanceId.%d", i))
		if id == "" {
			break
		}
		ids = append(ids, id)
	}
	known := s.instances()
	resp := describeInstancesResponse{Xmlns: "http://ec2.amazonaws.com/doc/2016-11-15/", RequestID: fmt.Sprintf("sim-%d", time.Now().UnixNano())}
	s.mu.Lock()
	for _, id := range ids {
		s.ids[id]++
	}
	s.mu.Unlock()
	for _, id := range ids {
		ip, ok := known[id]
		if !ok {
			// EC2 fails the whole call when one asked-for ID does not exist.
			writeEC2Error(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
			return
		}
		in := ec2Instance{InstanceID: id, PrivateIPAddress: ip}
		in.State.Code, in.State.Name = 16, "running"
		resp.Reservations = append(resp.Reservations, ec2Reservation{ReservationID: "r-" + strings.TrimPrefix(id, "i-"), OwnerID: Account, Instances: []ec2Instance{in}})
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(resp)
}

// instances maps the EC2 instance ID of every container instance of the ECS
// fake to its private IP.
func (s *EC2API) instances() map[string]string {
	e := s.ecs
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	for _, name := range e.clusterNames() {
		if c := e.cluster(name); c != nil {
			for _, in := range c.Instances {
				out["i-"+in.ID] = in.PrivateIP
			}
		}
	}
	return out
}

func writeEC2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>sim</RequestID></Response>", xml.Header, code, escapeXML(msg))
}

func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
