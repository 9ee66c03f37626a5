package dns

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// faultyCatalog fails every lookup, or panics when panics is set.
type faultyCatalog struct{ panics bool }

var _ Catalog = faultyCatalog{}

func (c faultyCatalog) fail() error {
	if c.panics {
		panic("catalog exploded")
	}
	return errors.New("index missing")
}
func (c faultyCatalog) Service(string, string) (*corev1.Service, error) { return nil, c.fail() }
func (c faultyCatalog) NamespaceHasServices(string) (bool, error)       { return false, c.fail() }
func (c faultyCatalog) EndpointSlices(string, string) ([]*discoveryv1.EndpointSlice, error) {
	return nil, c.fail()
}
func (c faultyCatalog) ServicesByIP(netip.Addr) ([]*corev1.Service, error) { return nil, c.fail() }
func (c faultyCatalog) EndpointSlicesByIP(netip.Addr) ([]*discoveryv1.EndpointSlice, error) {
	return nil, c.fail()
}

// recordingWriter is a ResponseWriter that keeps what is written to it.
type recordingWriter struct {
	local   net.Addr
	written []*mdns.Msg
}

func (w *recordingWriter) LocalAddr() net.Addr { return w.local }
func (w *recordingWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 5353}
}
func (w *recordingWriter) WriteMsg(m *mdns.Msg) error { w.written = append(w.written, m); return nil }
func (w *recordingWriter) Write([]byte) (int, error)  { return 0, errors.New("not supported") }
func (w *recordingWriter) Close() error               { return nil }
func (w *recordingWriter) TsigStatus() error          { return nil }
func (w *recordingWriter) TsigTimersOnly(bool)        {}
func (w *recordingWriter) Hijack()                    {}

func TestHandlerFaults(t *testing.T) {
	tests := []struct {
		name   string
		panics bool
		qname  string
		qtype  uint16
	}{
		{"catalog error on a service name", false, "web.default.svc.cluster.local.", mdns.TypeA},
		{"catalog error on a namespace name", false, "default.svc.cluster.local.", mdns.TypeA},
		{"catalog error on a reverse name", false, "20.0.43.10.in-addr.arpa.", mdns.TypePTR},
		{"catalog panic", true, "web.default.svc.cluster.local.", mdns.TypeA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := slog.New(slog.NewTextHandler(t.Output(), nil))
			r := NewResolver(NewZone("", faultyCatalog{panics: tt.panics}, 1), nil, nil, log)
			w := &recordingWriter{local: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}}
			r.Handler(t.Context()).ServeDNS(w, query(tt.qname, tt.qtype))
			if len(w.written) != 1 {
				t.Fatalf("%d replies written, want 1", len(w.written))
			}
			if got := w.written[0]; got.Rcode != mdns.RcodeServerFailure || got.Id != 4242 {
				t.Errorf("reply rcode %s id %d, want SERVFAIL 4242", mdns.RcodeToString[got.Rcode], got.Id)
			}
		})
	}
}

func TestWithoutSelf(t *testing.T) {
	got := withoutSelf([]string{"10.43.0.10", "192.0.2.1", "10.43.0.10:5353"}, "10.43.0.10:53", slog.New(slog.DiscardHandler))
	if len(got) != 2 || got[0] != "192.0.2.1" || got[1] != "10.43.0.10:5353" {
		t.Errorf("withoutSelf = %q, want [192.0.2.1 10.43.0.10:5353]", got)
	}
}
