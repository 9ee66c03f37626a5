package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/capstan/capstan/internal/apiserver/audit"
)

type stageLog struct {
	mu     sync.Mutex
	events []audit.Event
}

func (l *stageLog) Write(ev *audit.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, *ev)
}

func TestWithAuditPanicStage(t *testing.T) {
	p, err := audit.ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"))
	if err != nil {
		t.Fatal(err)
	}
	log := &stageLog{}
	s := &Server{cfg: Config{Audit: audit.NewLogger(p, log, nil), MaxBodyBytes: 1 << 20}}
	h := s.withAudit(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	r := httptest.NewRequest(http.MethodGet, "/api/v1/namespaces/ns/pods/p", nil)
	r = r.WithContext(WithUser(r.Context(), User{Name: "alice", Groups: []string{"devs"}}))
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("panic not passed on to the recovery handler: %v", v)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), r)
	}()
	var stages []string
	for _, e := range log.events {
		stages = append(stages, string(e.Stage))
	}
	if strings.Join(stages, ",") != "RequestReceived,Panic" {
		t.Fatalf("stages %v", stages)
	}
	last := log.events[1]
	if last.ResponseStatus.Code != 500 || !strings.Contains(last.ResponseStatus.Message, "boom") || last.User.Username != "alice" ||
		last.ObjectRef.Resource != "pods" || last.ObjectRef.Name != "p" || last.Verb != "get" {
		t.Fatalf("panic event: %+v", last)
	}
}

func TestAuditAttributes(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           string // verb resource/sub ns name
	}{
		{"GET", "/api/v1/namespaces/ns/pods?watch=true", "watch pods/ ns "},
		{"GET", "/api/v1/namespaces/ns", "get namespaces/ ns ns"},
		{"POST", "/apis/apps/v1/namespaces/ns/deployments/d/scale", "create deployments/scale ns d"},
		{"DELETE", "/api/v1/namespaces/ns/secrets", "deletecollection secrets/ ns "},
		{"GET", "/healthz/etcd", "get /  "},
		{"POST", "/version", "post /  "},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		a, u := auditAttributes(r)
		got := a.Verb + " " + a.Resource + "/" + a.Subresource + " " + a.Namespace + " " + a.Name
		if got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.target, got, tc.want)
		}
		if u.Username != "system:anonymous" {
			t.Errorf("unauthenticated user %q", u.Username)
		}
	}
}

func TestSourceIPs(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.9:5555"
	r.Header.Set("X-Forwarded-For", "1.2.3.4, 10.0.0.9, junk")
	r.Header.Set("X-Real-Ip", "5.6.7.8")
	if got := strings.Join(sourceIPs(r), ","); got != "1.2.3.4,10.0.0.9,5.6.7.8" {
		t.Fatalf("sourceIPs %s", got)
	}
}
