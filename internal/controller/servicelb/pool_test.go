package servicelb

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestParsePool(t *testing.T) {
	for _, tc := range []struct {
		text    string
		want    string // ranges joined by " ", or "" for an error
		wantErr string
	}{
		{text: "192.168.50.10-192.168.50.20,10.0.0.0/28", want: "192.168.50.10-192.168.50.20 10.0.0.1-10.0.0.14"},
		{text: " 192.0.2.7 , 2001:db8::/126", want: "192.0.2.7 2001:db8::-2001:db8::3"},
		{text: "192.0.2.8/31,192.0.2.10/32", want: "192.0.2.8-192.0.2.9 192.0.2.10"},
		{text: "192.0.2.5 - 192.0.2.6", want: "192.0.2.5-192.0.2.6"},
		{text: "", wantErr: "no addresses"},
		{text: " , ", wantErr: "no addresses"},
		{text: "192.0.2.20-192.0.2.10", wantErr: "first address after last"},
		{text: "192.0.2.1-2001:db8::1", wantErr: "mixes IPv4 and IPv6"},
		{text: "192.0.2.0/24,192.0.2.100-192.0.2.110", wantErr: "overlap"},
		{text: "192.0.2.300", wantErr: `entry "192.0.2.300"`},
		{text: "192.0.2.0/33", wantErr: `entry "192.0.2.0/33"`},
		{text: "lb.example", wantErr: `entry "lb.example"`},
	} {
		t.Run(tc.text, func(t *testing.T) {
			ranges, err := ParsePool(tc.text)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParsePool(%q) = %v, %v; want an error containing %q", tc.text, ranges, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range ranges {
				got = append(got, r.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("ParsePool(%q) = %q, want %q", tc.text, strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestPoolRangeAndRequest(t *testing.T) {
	ranges, err := ParsePool("192.168.50.10-192.168.50.12")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPool(ranges)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	steps := []struct {
		op, key, ip string
		want        string // address, or the error text
	}{
		{"assign", "a", "", "192.168.50.10"},
		{"request", "b", "192.168.50.12", "192.168.50.12"},
		{"request", "c", "192.168.50.12", "already in use by service b"},
		{"request", "c", "192.168.50.13", "not in the load-balancer pool"},
		{"assign", "c", "", "192.168.50.11"}, // a refused request took nothing
		{"request", "a", "192.168.50.10", "192.168.50.10"},
		{"assign", "d", "", "no free address"},
		{"request", "b", "192.168.50.12", "192.168.50.12"}, // its own address again
	}
	for i, s := range steps {
		var got string
		switch s.op {
		case "assign":
			ip, err := p.assign(s.key, corev1.IPv4Protocol, nil)
			got = ip.String()
			if err != nil {
				got = err.Error()
			}
		case "request":
			got = s.ip
			if err := p.request(s.key, a(s.ip)); err != nil {
				got = err.Error()
			}
		}
		if !strings.Contains(got, s.want) {
			t.Fatalf("step %d %s %s %s: got %q, want %q", i, s.op, s.key, s.ip, got, s.want)
		}
	}
}

func TestRequestedIPs(t *testing.T) {
	svc := func(lbIP string, annotations map[string]string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Annotations: annotations}, Spec: corev1.ServiceSpec{LoadBalancerIP: lbIP}}
	}
	for _, tc := range []struct {
		name string
		svc  *corev1.Service
		want string // addresses joined by " ", or "error: " and a part of the message
	}{
		{"none", svc("", nil), ""},
		{"spec field", svc("192.0.2.5", nil), "192.0.2.5"},
		{"annotation wins over the field", svc("192.0.2.5", map[string]string{LoadBalancerIPsAnnotation: "192.0.2.6, 2001:db8::6"}), "192.0.2.6 2001:db8::6"},
		{"MetalLB annotation", svc("", map[string]string{MetalLBLoadBalancerIPsAnnotation: "192.0.2.7"}), "192.0.2.7"},
		{"ours before MetalLB's", svc("", map[string]string{MetalLBLoadBalancerIPsAnnotation: "192.0.2.7", LoadBalancerIPsAnnotation: "192.0.2.8"}), "192.0.2.8"},
		{"mapped address unmapped", svc("::ffff:192.0.2.9", nil), "192.0.2.9"},
		{"two of one family", svc("", map[string]string{LoadBalancerIPsAnnotation: "192.0.2.1,192.0.2.2"}), "error: more than one IPv4"},
		{"bad annotation", svc("", map[string]string{LoadBalancerIPsAnnotation: "nope"}), "error: annotation capstan.io/loadBalancerIPs"},
		{"bad field", svc("nope", nil), "error: spec.loadBalancerIP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ips, err := RequestedIPs(tc.svc)
			got := fmt.Sprint(ips)
			got = strings.Trim(got, "[]")
			if err != nil {
				got = "error: " + err.Error()
			}
			if ok := got == tc.want || (strings.HasPrefix(tc.want, "error: ") && strings.Contains(got, strings.TrimPrefix(tc.want, "error: "))); !ok {
				t.Errorf("RequestedIPs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWantsLoadBalancer(t *testing.T) {
	for _, tc := range []struct {
		typ   corev1.ServiceType
		class *string
		want  bool
	}{
		{corev1.ServiceTypeLoadBalancer, nil, true},
		{corev1.ServiceTypeLoadBalancer, ptr.To(LoadBalancerClass), true},
		{corev1.ServiceTypeLoadBalancer, ptr.To("example.com/other-lb"), false},
		{corev1.ServiceTypeNodePort, nil, false},
		{corev1.ServiceTypeClusterIP, ptr.To(LoadBalancerClass), false},
	} {
		svc := &corev1.Service{Spec: corev1.ServiceSpec{Type: tc.typ, LoadBalancerClass: tc.class}}
		if got := wantsLoadBalancer(svc); got != tc.want {
			t.Errorf("wantsLoadBalancer(type %s, class %v) = %v, want %v", tc.typ, ptr.Deref(tc.class, "<nil>"), got, tc.want)
		}
	}
}
