package endpointslice

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func ep(name string) discoveryv1.Endpoint {
	ready := true
	return discoveryv1.Endpoint{Addresses: []string{"10.0.0." + name}, Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: name}}
}

func eps(names ...string) []discoveryv1.Endpoint {
	out := make([]discoveryv1.Endpoint, 0, len(names))
	for _, n := range names {
		out = append(out, ep(n))
	}
	return out
}

func numbered(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%03d", i)
	}
	return out
}

func port(name string, n int32) []discoveryv1.EndpointPort {
	proto := corev1.ProtocolTCP
	return []discoveryv1.EndpointPort{{Name: &name, Port: &n, Protocol: &proto}}
}

var testLabels = map[string]string{discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: ControllerName}

func slice(name string, ports []discoveryv1.EndpointPort, e []discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), Labels: testLabels},
		AddressType: discoveryv1.AddressTypeIPv4, Ports: ports, Endpoints: e}
}

// renderPlan prints "create[n]", "update NAME[n]", "delete NAME"; with the
// endpoint names when few.
func renderPlan(p Plan) string {
	names := func(s *discoveryv1.EndpointSlice) string {
		if len(s.Endpoints) > 5 {
			return fmt.Sprint(len(s.Endpoints))
		}
		var n []string
		for _, e := range s.Endpoints {
			n = append(n, e.TargetRef.Name)
		}
		return strings.Join(n, ",") + "@" + PortKey(s.Ports)
	}
	var out []string
	for _, s := range p.Create {
		out = append(out, "create["+names(s)+"]")
	}
	for _, s := range p.Update {
		out = append(out, "update "+s.Name+"["+names(s)+"]")
	}
	for _, s := range p.Delete {
		out = append(out, "delete "+s.Name)
	}
	return strings.Join(out, " ")
}

func TestPlanSlices(t *testing.T) {
	p80, p81 := port("http", 80), port("http", 81)
	k80 := PortKey(p80)
	group := func(ports []discoveryv1.EndpointPort, names ...string) Desired {
		return Desired{PortKey(ports): &Group{Ports: ports, Endpoints: eps(names...)}}
	}
	full := slice("full", p80, eps(numbered(100)...))
	tests := []struct {
		name     string
		existing []*discoveryv1.EndpointSlice
		desired  Desired
		labels   map[string]string
		want     string
	}{
		{name: "250 new endpoints make 100+100+50", desired: group(p80, numbered(250)...),
			want: "create[100] create[100] create[50]"},
		{name: "nothing changed", existing: []*discoveryv1.EndpointSlice{slice("s1", p80, eps("a", "b"))},
			desired: group(p80, "a", "b")},
		{name: "removed endpoint updates in place", existing: []*discoveryv1.EndpointSlice{slice("s1", p80, eps("a", "b"))},
			desired: group(p80, "a"), want: "update s1[a@" + k80 + "]"},
		{name: "new endpoint fills the unchanged slice it fits in", existing: []*discoveryv1.EndpointSlice{
			slice("s1", p80, eps("a")), slice("s2", p80, eps("b", "c"))},
			desired: group(p80, "a", "b", "c", "d"), want: "update s2[b,c,d@" + k80 + "]"},
		{name: "full slice left alone, new one created", existing: []*discoveryv1.EndpointSlice{full},
			desired: group(p80, append(numbered(100), "x")...), want: "create[x@" + k80 + "]"},
		{name: "new endpoints go to a slice already being updated", existing: []*discoveryv1.EndpointSlice{
			slice("s1", p80, eps("a", "b")), slice("s2", p80, eps("c"))},
			desired: group(p80, "a", "c", "d"), want: "update s1[a,d@" + k80 + "]"},
		{name: "all gone leaves one placeholder by recycling", existing: []*discoveryv1.EndpointSlice{
			slice("s1", p80, eps("a")), slice("s2", p80, eps("b"))},
			desired: Desired{}, want: "update s2[@] delete s1"},
		{name: "empty placeholder kept", existing: []*discoveryv1.EndpointSlice{slice("s1", nil, nil)}, desired: Desired{}},
		{name: "port change recycles the slice", existing: []*discoveryv1.EndpointSlice{slice("s1", p80, eps("a"))},
			desired: group(p81, "a"), want: "update s1[a@" + PortKey(p81) + "]"},
		{name: "label change updates", existing: []*discoveryv1.EndpointSlice{slice("s1", p80, eps("a"))},
			desired: group(p80, "a"), labels: map[string]string{"new": "x"}, want: "update s1[a@" + k80 + "]"},
		{name: "no compaction of unchanged slices", existing: []*discoveryv1.EndpointSlice{
			slice("s1", p80, eps("a")), slice("s2", p80, eps("b"))}, desired: group(p80, "a", "b")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lbls := testLabels
			if tt.labels != nil {
				lbls = tt.labels
			}
			p := PlanSlices(PlanInput{Existing: tt.existing, Desired: tt.desired, Max: 100, Labels: lbls, Placeholder: true,
				New: func(ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
					return &discoveryv1.EndpointSlice{AddressType: discoveryv1.AddressTypeIPv4, Ports: ports}
				}})
			if got := renderPlan(p); got != tt.want {
				t.Errorf("plan:\n got %q\nwant %q", got, tt.want)
			}
			for _, s := range append(p.Create, p.Update...) {
				if fmt.Sprint(s.Labels) != fmt.Sprint(lbls) {
					t.Errorf("slice %s labels %v, want %v", s.Name, s.Labels, lbls)
				}
			}
		})
	}
}

func TestTracker(t *testing.T) {
	at := func(uid, rv string) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid), ResourceVersion: rv}}
	}
	tr := NewTracker()
	tr.Wrote("k", at("a", "10"))
	steps := []struct {
		name   string
		do     func()
		cached []*discoveryv1.EndpointSlice
		stale  bool
	}{
		{name: "created slice not yet in cache", stale: true},
		{name: "older version in cache", cached: []*discoveryv1.EndpointSlice{at("a", "9")}, stale: true},
		{name: "caught up", cached: []*discoveryv1.EndpointSlice{at("a", "10")}},
		{name: "newer than our write", cached: []*discoveryv1.EndpointSlice{at("a", "12")}},
		{name: "deleted but still cached", do: func() { tr.Deleted("k", "a") }, cached: []*discoveryv1.EndpointSlice{at("a", "12")}, stale: true},
		{name: "deletion seen", do: func() { tr.Gone("k", "a") }},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := tr.Stale("k", s.cached); got != s.stale {
			t.Errorf("%s: stale = %t, want %t", s.name, got, s.stale)
		}
	}
	tr.Wrote("k", at("b", "20"))
	if !tr.Own("k", at("b", "20")) || tr.Own("k", at("b", "21")) || tr.Own("other", at("b", "20")) {
		t.Error("Own does not match only the controller's last write")
	}
}
