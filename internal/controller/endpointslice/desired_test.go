package endpointslice

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type podOpt func(*corev1.Pod)

func mkPod(name, ip string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c",
			Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
	if ip != "" {
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func notReady(p *corev1.Pod)    { p.Status.Conditions[0].Status = corev1.ConditionFalse }
func terminating(p *corev1.Pod) { now := metav1.Now(); p.DeletionTimestamp = &now }
func failed(p *corev1.Pod) {
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Status.Phase = corev1.PodFailed
}
func onNode(n string) podOpt  { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func noWebPort(p *corev1.Pod) { p.Spec.Containers[0].Ports = nil }
func dual(p *corev1.Pod) {
	p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: "fd00::" + strings.TrimPrefix(p.Status.PodIP, "10.0.0.")})
}
func host(h, sub string) podOpt {
	return func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = h, sub }
}

func mkSvc(opts ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "svc-uid"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, ClusterIP: "10.96.0.10",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromString("web"), Protocol: corev1.ProtocolTCP},
				{Name: "metrics", Port: 9100, TargetPort: intstr.FromInt32(9100), Protocol: corev1.ProtocolTCP},
			}},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// render prints a Desired as sorted "ports => name ip r/s/t node zone host" lines.
func render(d Desired) []string {
	var out []string
	for k, g := range d {
		for _, e := range g.Endpoints {
			c := e.Conditions
			line := fmt.Sprintf("[%s] %s %s %t/%t/%t", k, e.TargetRef.Name, strings.Join(e.Addresses, ","), *c.Ready, *c.Serving, *c.Terminating)
			if e.NodeName != nil {
				line += " node=" + *e.NodeName
			}
			if e.Zone != nil {
				line += " zone=" + *e.Zone
			}
			if e.Hostname != nil {
				line += " host=" + *e.Hostname
			}
			out = append(out, line)
		}
	}
	sort.Strings(out)
	return out
}

const both = "http/TCP/8080/,metrics/TCP/9100/"

func TestDesiredEndpoints(t *testing.T) {
	nodes := func(name string) (*corev1.Node, bool) {
		switch name {
		case "n1":
			return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{corev1.LabelTopologyZone: "z1"}}}, true
		case "n2":
			return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, true
		}
		return nil, false
	}
	publish := func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }
	v6 := func(s *corev1.Service) { s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol} }
	tests := []struct {
		name        string
		svc         *corev1.Service
		pods        []*corev1.Pod
		family      corev1.IPFamily
		want        []string
		wantSkipped []string
	}{
		{name: "ready and not ready", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1"), mkPod("b", "10.0.0.2", notReady, onNode("n2"))},
			want: []string{"[" + both + "] a 10.0.0.1 true/true/false node=n1 zone=z1", "[" + both + "] b 10.0.0.2 false/false/false node=n2"}},
		{name: "no IP, failed pods left out", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", ""), mkPod("b", "10.0.0.2", failed)}},
		{name: "terminating pod kept, serving from readiness", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", terminating), mkPod("b", "10.0.0.2", terminating, notReady)},
			want: []string{"[" + both + "] a 10.0.0.1 false/true/true node=n1 zone=z1", "[" + both + "] b 10.0.0.2 false/false/true node=n1 zone=z1"}},
		{name: "publishNotReadyAddresses makes every endpoint ready", svc: mkSvc(publish), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", notReady, terminating)},
			want: []string{"[" + both + "] a 10.0.0.1 true/false/true node=n1 zone=z1"}},
		{name: "named port missing on pod drops that port only", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", noWebPort)},
			want: []string{"[metrics/TCP/9100/] a 10.0.0.1 true/true/false node=n1 zone=z1"}},
		{name: "hostname only under its subdomain", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", host("h1", "web")), mkPod("b", "10.0.0.2", host("h2", "other"))},
			want: []string{"[" + both + "] a 10.0.0.1 true/true/false node=n1 zone=z1 host=h1", "[" + both + "] b 10.0.0.2 true/true/false node=n1 zone=z1"}},
		{name: "missing node skipped", svc: mkSvc(), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", onNode("gone"))}, wantSkipped: []string{"a"}},
		{name: "missing node kept with publishNotReadyAddresses", svc: mkSvc(publish), family: corev1.IPv4Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", onNode("gone"))}, want: []string{"[" + both + "] a 10.0.0.1 true/true/false node=gone"}},
		{name: "IPv6 family picks the v6 address", svc: mkSvc(v6), family: corev1.IPv6Protocol,
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", dual), mkPod("b", "10.0.0.2")},
			want: []string{"[" + both + "] a fd00::1 true/true/false node=n1 zone=z1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, skipped := DesiredEndpoints(tt.svc, tt.pods, nodes, tt.family)
			if got := render(d); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("endpoints:\n got %q\nwant %q", got, tt.want)
			}
			if fmt.Sprint(skipped) != fmt.Sprint(tt.wantSkipped) {
				t.Errorf("skipped %v, want %v", skipped, tt.wantSkipped)
			}
		})
	}
}

func TestFindPort(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Ports: []corev1.ContainerPort{
			{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {Name: "web", ContainerPort: 8080}}}},
		InitContainers: []corev1.Container{
			{Name: "plain", Ports: []corev1.ContainerPort{{Name: "init", ContainerPort: 1}}},
			{Name: "sidecar", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "side", ContainerPort: 7000}}}},
	}}
	tests := []struct {
		target  intstr.IntOrString
		proto   corev1.Protocol
		want    int32
		wantErr bool
	}{
		{target: intstr.FromInt32(81), want: 81},
		{target: intstr.FromString("web"), want: 8080},
		{target: intstr.FromString("web"), proto: corev1.ProtocolUDP, wantErr: true},
		{target: intstr.FromString("dns"), proto: corev1.ProtocolUDP, want: 53},
		{target: intstr.FromString("dns"), proto: corev1.ProtocolTCP, wantErr: true},
		{target: intstr.FromString("side"), want: 7000},
		{target: intstr.FromString("init"), wantErr: true},
	}
	for _, tt := range tests {
		got, err := FindPort(pod, &corev1.ServicePort{Port: 80, TargetPort: tt.target, Protocol: tt.proto})
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("FindPort(%v/%s) = %d, %v; want %d, err %t", tt.target.String(), tt.proto, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestServiceFamiliesAndLabels(t *testing.T) {
	headless := mkSvc(func(s *corev1.Service) {
		s.Spec.ClusterIP, s.Spec.IPFamilies = corev1.ClusterIPNone, nil
		s.Labels = map[string]string{"a": "b", discoveryv1.LabelManagedBy: "someone"}
	})
	if f := ServiceFamilies(headless); len(f) != 1 || f[0] != corev1.IPv4Protocol {
		t.Errorf("headless families %v", f)
	}
	v6 := mkSvc(func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.IPFamilies = "fd00::10", nil })
	if f := ServiceFamilies(v6); len(f) != 1 || f[0] != corev1.IPv6Protocol {
		t.Errorf("v6 clusterIP families %v", f)
	}
	got := SliceLabels(headless)
	want := map[string]string{"a": "b", corev1.IsHeadlessService: "", discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: ControllerName}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	if _, ok := SliceLabels(mkSvc())[corev1.IsHeadlessService]; ok {
		t.Error("headless label on a ClusterIP service")
	}
}
