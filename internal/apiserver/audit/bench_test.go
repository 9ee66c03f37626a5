package audit

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
)

type discardCloser struct{ io.Writer }

func (discardCloser) Close() error { return nil }

// BenchmarkRequestRecord is the audit work of one request (policy, two
// events, marshalling, queueing) per level, with a 2 KB body.
func BenchmarkRequestRecord(b *testing.B) {
	body := []byte(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","namespace":"default","uid":"u","resourceVersion":"7"},"data":{"k":"` + strings.Repeat("v", 2000) + `"}}`)
	for _, level := range []Level{LevelNone, LevelMetadata, LevelRequest, LevelRequestResponse} {
		b.Run(string(level), func(b *testing.B) {
			p, err := ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  users: [system:kube-proxy]\n- level: " + string(level) + "\n"))
			if err != nil {
				b.Fatal(err)
			}
			sink, err := newFileSink(discardCloser{io.Discard}, nil, FileOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer sink.Close()
			l := NewLogger(p, sink, nil)
			a := Attributes{User: "admin", Groups: []string{"system:masters"}, Verb: "update", ResourceRequest: true, APIVersion: "v1", Resource: "configmaps", Namespace: "default", Name: "c"}
			m := RequestMeta{AuditID: "0b5c3c52-7a51-4b9e-9a0e-3c1d2f6a8e11", RequestURI: "/api/v1/namespaces/default/configmaps/c", SourceIPs: []string{"127.0.0.1"}, UserAgent: "kubectl",
				User: authnv1.UserInfo{Username: "admin", Groups: []string{"system:masters"}}}
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				r := l.Begin(a, m)
				if r == nil {
					continue
				}
				r.Emit(StageRequestReceived)
				r.SetRequestObject(body)
				r.SetResponse(200, nil, body)
				r.Emit(StageResponseComplete)
			}
			sink.Close() // the writer's work counts too
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user+system CPU time: on a loaded machine it
// measures the work better than wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
