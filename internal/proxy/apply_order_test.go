package proxy

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"
)

func TestJumpTargets(t *testing.T) {
	for _, tc := range []struct {
		rule string
		want []string
	}{
		{"ct state new jump nodeport-endpoints-check", []string{"nodeport-endpoints-check"}},
		{"meta l4proto tcp dnat to numgen random mod 2 map { 0 : 10.0.0.1 . 80 , 1 : 10.0.0.2 . 80 }", nil},
		{"numgen random mod 2 vmap { 0 : goto endpoint-A , 1 : goto endpoint-B }", []string{"endpoint-A", "endpoint-B"}},
		{"ip saddr @affinity-X goto endpoint-X", []string{"endpoint-X"}},
		{"fib saddr type local jump mark-for-masquerade", []string{"mark-for-masquerade"}},
		{"ip daddr 10.0.0.1 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark", []string{"mark"}},
		{"mark set mark xor 0x4000", nil},
		{"update @affinity-nojump-x { ip saddr }", nil}, // "jump" inside a name is no verb
	} {
		if got := jumpTargets(tc.rule); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("jumpTargets(%q) = %q, want %q", tc.rule, got, tc.want)
		}
	}
}

// batchRecorder records the batches it is given and lists what a previous
// listing said.
type batchRecorder struct {
	chains, sets, maps []string
	batches            []*batch
}

func (r *batchRecorder) run(_ context.Context, b *batch) error {
	r.batches = append(r.batches, b)
	return nil
}

func (r *batchRecorder) list(context.Context) (chains, sets, maps []string, err error) {
	return r.chains, r.sets, r.maps, nil
}

func (r *batchRecorder) deleteTable(context.Context) error { return nil }

// TestApplyOrder checks what the kernel needs of a full apply's batch, for
// every golden input, into an empty table and over itself: every chain a
// rule jumps to is added before the rule, rules of one chain keep their
// order, and only objects the table already had are flushed.
func TestApplyOrder(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata inputs: %v", err)
	}
	for _, in := range inputs {
		cfg, svcs, slices := loadInput(t, in)
		r := Ruleset(cfg, svcs, slices)
		var names []string
		for _, c := range r.Chains {
			names = append(names, c.Name)
		}
		for _, existing := range []bool{false, true} {
			rec := &batchRecorder{}
			if existing {
				rec.chains = names
			}
			if err := apply(context.Background(), rec, r); err != nil {
				t.Fatal(err)
			}
			added := map[string]bool{}
			var flushed int
			byChain := map[string][]string{}
			for i, o := range rec.batches[0].ops {
				switch obj := o.obj.(type) {
				case *knftables.Chain:
					if o.verb == verbAdd {
						added["chain "+obj.Name] = true
					}
					if o.verb == verbFlush {
						flushed++
						if !added["chain "+obj.Name] {
							t.Errorf("%s: op %d flushes chain %s before adding it", in, i, obj.Name)
						}
					}
				case *knftables.Rule:
					if !added["chain "+obj.Chain] {
						t.Errorf("%s: op %d adds a rule to chain %s before the chain", in, i, obj.Chain)
					}
					for _, target := range jumpTargets(obj.Rule) {
						if !added["chain "+target] {
							t.Errorf("%s: op %d jumps to %s before it is added: %s", in, i, target, obj.Rule)
						}
					}
					byChain[obj.Chain] = append(byChain[obj.Chain], obj.Rule)
				}
			}
			if want := map[bool]int{false: 0, true: len(names)}[existing]; flushed != want {
				t.Errorf("%s (table had its chains: %v): %d chain flushes, want %d", in, existing, flushed, want)
			}
			for chain, rules := range chainRules(r.Rules) {
				var want []string
				for _, rule := range rules {
					want = append(want, rule.Rule)
				}
				if !reflect.DeepEqual(byChain[chain], want) {
					t.Errorf("%s: chain %s rules in batch order %q, want %q", in, chain, byChain[chain], want)
				}
			}
		}
	}
}

func TestAppendAttributesMatchesNetlink(t *testing.T) {
	for _, attrs := range [][]netlink.Attribute{
		nil,
		{strAttr(1, "capstan-proxy")},
		{strAttr(1, "t"), u32Attr(2, 7), {Type: 3, Data: []byte{1, 2, 3, 4, 5}}, {Type: 4}},
	} {
		want, err := netlink.MarshalAttributes(attrs)
		if err != nil {
			t.Fatal(err)
		}
		e := newEncoder("t")
		got := e.appendAttributes([]byte{9, 9, 9, 9}, attrs, 0)
		if !bytes.Equal(got, append([]byte{9, 9, 9, 9}, want...)) || e.err != nil {
			t.Errorf("appendAttributes(%v) = %x (err %v), want header + %x", attrs, got, e.err, want)
		}
	}
	e := newEncoder("t")
	e.appendAttributes(nil, []netlink.Attribute{{Type: 1, Data: make([]byte, 1<<16)}}, 0)
	if e.err == nil || !strings.Contains(e.err.Error(), "64 KiB") {
		t.Errorf("oversized attribute: err %v, want one naming the 64 KiB limit", e.err)
	}
}

func TestPortEndpointsKeepsFirstDuplicate(t *testing.T) {
	port := []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80)}}
	slices := []*discoveryv1.EndpointSlice{
		{AddressType: discoveryv1.AddressTypeIPv4, Ports: port, Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.2"}, NodeName: ptr.To("first")},
			{Addresses: []string{"::ffff:10.0.0.1"}, NodeName: ptr.To("mapped")},
		}},
		{AddressType: discoveryv1.AddressTypeIPv4, Ports: port, Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.2"}, NodeName: ptr.To("second")},
		}},
	}
	got := portEndpoints(slices, corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP})
	if len(got) != 2 || got[0].IP != "10.0.0.1" || got[0].NodeName != "mapped" || got[1].IP != "10.0.0.2" || got[1].NodeName != "first" {
		t.Errorf("portEndpoints = %+v, want 10.0.0.1 (mapped), then 10.0.0.2 from the first slice", got)
	}
}
