package endpointslicemirroring

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func addrs(ips ...string) []corev1.EndpointAddress {
	out := make([]corev1.EndpointAddress, 0, len(ips))
	for _, ip := range ips {
		out = append(out, corev1.EndpointAddress{IP: ip})
	}
	return out
}

func TestShouldMirror(t *testing.T) {
	plain := &corev1.Service{}
	selected := &corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"a": "b"}}}
	ep := func(labels, ann map[string]string) *corev1.Endpoints {
		return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: ann}}
	}
	tests := []struct {
		name string
		ep   *corev1.Endpoints
		svc  *corev1.Service
		want bool
	}{
		{name: "selector-less service", ep: ep(nil, nil), svc: plain, want: true},
		{name: "no service", ep: ep(nil, nil)},
		{name: "no endpoints", svc: plain},
		{name: "service with selector", ep: ep(nil, nil), svc: selected},
		{name: "skip-mirror", ep: ep(map[string]string{discoveryv1.LabelSkipMirror: "true"}, nil), svc: plain},
		{name: "skip-mirror false still mirrors", ep: ep(map[string]string{discoveryv1.LabelSkipMirror: "false"}, nil), svc: plain, want: true},
		{name: "leader lock", ep: ep(nil, map[string]string{leaderAnnotation: "{}"}), svc: plain},
	}
	for _, tt := range tests {
		if got := ShouldMirror(tt.ep, tt.svc); got != tt.want {
			t.Errorf("%s: ShouldMirror = %t, want %t", tt.name, got, tt.want)
		}
	}
}

func renderPlanned(p []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range p {
		var eps []string
		for _, e := range s.Endpoints {
			x := fmt.Sprintf("%s:%t", e.Addresses[0], *e.Conditions.Ready)
			if e.Hostname != nil {
				x += "/" + *e.Hostname
			}
			eps = append(eps, x)
		}
		out = append(out, fmt.Sprintf("%s(%d ports) %s", s.AddressType, len(s.Ports), strings.Join(eps, " ")))
	}
	sort.Strings(out)
	return out
}

func TestPlan(t *testing.T) {
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: "ns", UID: "ep-uid", Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{corev1.EndpointsLastChangeTriggerTime: "x", "note": "kept"}},
		Subsets: []corev1.EndpointSubset{{
			Addresses:         []corev1.EndpointAddress{{IP: "192.0.2.1", Hostname: "h1"}, {IP: "not-an-ip"}, {IP: "2001:db8::1"}},
			NotReadyAddresses: addrs("192.0.2.2"),
			Ports:             []corev1.EndpointPort{{Name: "http", Port: 80}},
		}},
	}
	p, skipped := Plan(ep, nil)
	want := []string{"IPv4(1 ports) 192.0.2.1:true/h1 192.0.2.2:false", "IPv6(1 ports) 2001:db8::1:true"}
	if got := renderPlanned(p.Create); fmt.Sprint(got) != fmt.Sprint(want) || len(p.Update)+len(p.Delete) != 0 || skipped != 1 {
		t.Fatalf("plan create %q update %d delete %d skipped %d; want %q, skipped 1", got, len(p.Update), len(p.Delete), skipped, want)
	}
	s := p.Create[0]
	wantLabels := map[string]string{"team": "a", discoveryv1.LabelServiceName: "ext", discoveryv1.LabelManagedBy: ControllerName}
	if fmt.Sprint(s.Labels) != fmt.Sprint(wantLabels) || fmt.Sprint(s.Annotations) != fmt.Sprint(map[string]string{"note": "kept"}) ||
		s.GenerateName != "ext-" || s.OwnerReferences[0].UID != "ep-uid" || s.OwnerReferences[0].Kind != "Endpoints" {
		t.Errorf("slice metadata %+v", s.ObjectMeta)
	}

	// Applied, the same Endpoints plans nothing; a foreign-owned slice is deleted.
	var existing []*discoveryv1.EndpointSlice
	for i, c := range p.Create {
		c = c.DeepCopy()
		c.Name, c.UID = fmt.Sprintf("ext-%d", i), types.UID(fmt.Sprintf("s%d", i))
		existing = append(existing, c)
	}
	foreign := existing[0].DeepCopy()
	foreign.Name, foreign.UID, foreign.OwnerReferences[0].UID = "old", "old", "other"
	again, _ := Plan(ep, append(existing, foreign))
	if len(again.Create)+len(again.Update) != 0 || len(again.Delete) != 1 || again.Delete[0].Name != "old" {
		t.Errorf("steady state plan: create %d update %d delete %v", len(again.Create), len(again.Update), again.Delete)
	}
	gone, _ := Plan(nil, existing)
	if len(gone.Delete) != len(existing) || len(gone.Create)+len(gone.Update) != 0 {
		t.Errorf("nil endpoints must delete all: %+v", gone)
	}
}

func TestMirrorCapsSubsets(t *testing.T) {
	ips := make([]string, MaxEndpointsPerSubset+5)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.%d.1", i/250, i%250)
	}
	m := Mirror(&corev1.Endpoints{Subsets: []corev1.EndpointSubset{{Addresses: addrs(ips...)}}})
	n := 0
	for _, g := range m.Desired[discoveryv1.AddressTypeIPv4] {
		n += len(g.Endpoints)
	}
	if n != MaxEndpointsPerSubset || m.Skipped != 5 {
		t.Errorf("mirrored %d, skipped %d; want %d, 5", n, m.Skipped, MaxEndpointsPerSubset)
	}
}
