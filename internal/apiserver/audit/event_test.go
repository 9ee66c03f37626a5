package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// memSink keeps marshalled events.
type memSink struct {
	mu    sync.Mutex
	lines [][]byte
}

func (m *memSink) Write(ev *Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	m.mu.Lock()
	m.lines = append(m.lines, b)
	m.mu.Unlock()
}

func (m *memSink) joined() []byte {
	return append(bytes.Join(m.lines, []byte("\n")), '\n')
}

func TestEventShapeGolden(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 11, 27, 23, 0, 0, 123456000, time.UTC))
	policy, err := ParsePolicy([]byte(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
- level: RequestResponse
  resources: [{group: "", resources: [configmaps]}]
  omitManagedFields: true
- level: Metadata
`))
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	l := NewLogger(policy, sink, clk)
	user := authnv1.UserInfo{Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}
	meta := func(id, uri string) RequestMeta {
		return RequestMeta{AuditID: id, RequestURI: uri, User: user, SourceIPs: []string{"10.0.0.1"}, UserAgent: "kubectl/v1.37.2"}
	}

	// A create of a ConfigMap at RequestResponse, managedFields dropped.
	r := l.Begin(Attributes{User: user.Username, Verb: "create", ResourceRequest: true, APIVersion: "v1", Resource: "configmaps", Namespace: "default"},
		meta("11111111-1111-1111-1111-111111111111", "/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create"))
	r.Emit(StageRequestReceived)
	r.SetRequestObject([]byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1","namespace":"default"},"data":{"k":"v"}}`))
	clk.SetTime(clk.Now().Add(1500 * time.Microsecond))
	r.SetResponse(201, nil, []byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1","namespace":"default","uid":"u-1","resourceVersion":"42","managedFields":[{"manager":"kubectl-create"}]},"data":{"k":"v"}}`))
	r.Emit(StageResponseComplete)

	// A delete of a Secret: the policy says Metadata; bodies never logged.
	r = l.Begin(Attributes{User: user.Username, Verb: "delete", ResourceRequest: true, APIVersion: "v1", Resource: "secrets", Namespace: "default", Name: "s1"},
		meta("22222222-2222-2222-2222-222222222222", "/api/v1/namespaces/default/secrets/s1"))
	r.SetRequestObject([]byte(`{"kind":"DeleteOptions","apiVersion":"v1"}`))
	r.SetResponse(200, &metav1.Status{Status: metav1.StatusSuccess, Details: &metav1.StatusDetails{Name: "s1", Kind: "secrets", UID: "u-2"}}, []byte(`{"data":{"password":"aHVudGVyMg=="}}`))
	r.Emit(StageResponseComplete)

	// A failed get: responseStatus carries the error.
	r = l.Begin(Attributes{User: user.Username, Verb: "get", ResourceRequest: true, APIGroup: "apps", APIVersion: "v1", Resource: "deployments", Namespace: "default", Name: "missing"},
		meta("33333333-3333-3333-3333-333333333333", "/apis/apps/v1/namespaces/default/deployments/missing"))
	r.SetResponse(404, &metav1.Status{Status: metav1.StatusFailure, Message: `deployments.apps "missing" not found`, Reason: metav1.StatusReasonNotFound,
		Details: &metav1.StatusDetails{Name: "missing", Group: "apps", Kind: "deployments"}, Code: 404}, nil)
	r.Emit(StageResponseComplete)

	// A non-resource request has no objectRef.
	r = l.Begin(Attributes{User: user.Username, Verb: "get", Path: "/version"}, meta("44444444-4444-4444-4444-444444444444", "/version?timeout=32s"))
	r.SetResponse(200, nil, nil)
	r.Emit(StageResponseComplete)

	got := sink.joined()
	if bytes.Contains(got, []byte("aHVudGVyMg")) {
		t.Fatal("secret data in the audit log")
	}
	if bytes.Contains(got, []byte("managedFields")) {
		t.Fatal("managedFields logged despite omitManagedFields")
	}
	golden := filepath.Join("testdata", "events.jsonl")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("events differ from %s (run with -update after checking):\n got: %s\nwant: %s", golden, got, want)
	}
}

func TestOmittedStageNotWritten(t *testing.T) {
	p, _ := ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n"))
	sink := &memSink{}
	r := NewLogger(p, sink, nil).Begin(Attributes{Verb: "get", Path: "/x"}, RequestMeta{AuditID: "a"})
	r.Emit(StageRequestReceived)
	r.Emit(StageResponseComplete)
	if len(sink.lines) != 1 || !strings.Contains(string(sink.lines[0]), `"stage":"ResponseComplete"`) {
		t.Fatalf("events: %s", sink.joined())
	}
	if NewLogger(p, sink, nil).Begin(Attributes{Verb: "get"}, RequestMeta{}) == nil {
		t.Fatal("catch-all rule gave no record")
	}
}
