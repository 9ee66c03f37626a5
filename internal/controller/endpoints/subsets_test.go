package endpoints

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type podOpt func(*corev1.Pod)

func mkPod(name, ip string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)},
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
func succeeded(p *corev1.Pod) {
	p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	p.Status.Phase = corev1.PodSucceeded
}
func webPort(n int32) podOpt {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = n }
}
func host(h, sub string) podOpt {
	return func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = h, sub }
}

func mkSvc(opts ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, ClusterIP: "10.96.0.10",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("web"), Protocol: corev1.ProtocolTCP}}},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func show(subsets []corev1.EndpointSubset) string {
	addrs := func(as []corev1.EndpointAddress) string {
		var s []string
		for _, a := range as {
			x := a.TargetRef.Name + "@" + a.IP
			if a.Hostname != "" {
				x += "/" + a.Hostname
			}
			s = append(s, x)
		}
		return strings.Join(s, ",")
	}
	var out []string
	for _, ss := range subsets {
		var ports []string
		for _, p := range ss.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d/%s", p.Name, p.Port, p.Protocol))
		}
		out = append(out, fmt.Sprintf("{%s r=%s nr=%s}", strings.Join(ports, ","), addrs(ss.Addresses), addrs(ss.NotReadyAddresses)))
	}
	return strings.Join(out, " ")
}

func TestSubsets(t *testing.T) {
	publish := func(s *corev1.Service) { s.Spec.PublishNotReadyAddresses = true }
	headlessNoPorts := func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.Ports = corev1.ClusterIPNone, nil }
	twoPorts := func(s *corev1.Service) {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "admin", Port: 9000, TargetPort: intstr.FromInt32(9000), Protocol: corev1.ProtocolTCP})
	}
	tests := []struct {
		name string
		svc  *corev1.Service
		pods []*corev1.Pod
		want string
	}{
		{name: "ready and not ready share a subset, sorted by IP", svc: mkSvc(),
			pods: []*corev1.Pod{mkPod("b", "10.0.0.2"), mkPod("a", "10.0.0.1"), mkPod("c", "10.0.0.3", notReady)},
			want: "{http:8080/TCP r=a@10.0.0.1,b@10.0.0.2 nr=c@10.0.0.3}"},
		{name: "different resolved ports split subsets", svc: mkSvc(),
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1"), mkPod("b", "10.0.0.2", webPort(9090))},
			want: "{http:8080/TCP r=a@10.0.0.1 nr=} {http:9090/TCP r=b@10.0.0.2 nr=}"},
		{name: "pod without IP, terminating, succeeded are skipped", svc: mkSvc(),
			pods: []*corev1.Pod{mkPod("a", ""), mkPod("b", "10.0.0.2", terminating), mkPod("c", "10.0.0.3", succeeded)}},
		{name: "publishNotReadyAddresses keeps terminating and not-ready as ready", svc: mkSvc(publish),
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", notReady, terminating)},
			want: "{http:8080/TCP r=a@10.0.0.1 nr=}"},
		{name: "headless without ports lists addresses only", svc: mkSvc(headlessNoPorts),
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", host("a", "web"))}, want: "{ r=a@10.0.0.1/a nr=}"},
		{name: "two service ports in one subset", svc: mkSvc(twoPorts),
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1")}, want: "{admin:9000/TCP,http:8080/TCP r=a@10.0.0.1 nr=}"},
		{name: "hostname only for the matching subdomain", svc: mkSvc(),
			pods: []*corev1.Pod{mkPod("a", "10.0.0.1", host("h", "other"))}, want: "{http:8080/TCP r=a@10.0.0.1 nr=}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(Subsets(tt.svc, tt.pods)); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func addresses(prefix string, n int) []corev1.EndpointAddress {
	out := make([]corev1.EndpointAddress, n)
	for i := range out {
		out[i] = corev1.EndpointAddress{IP: fmt.Sprintf("%s.%d", prefix, i)}
	}
	return out
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name                 string
		ready, notReady      []int // per subset
		wantReady, wantNotRd []int
		want                 bool
	}{
		{name: "under capacity", ready: []int{500, 400}, notReady: []int{50, 50}, wantReady: []int{500, 400}, wantNotRd: []int{50, 50}},
		{name: "not-ready trimmed first", ready: []int{600, 300}, notReady: []int{100, 100}, wantReady: []int{600, 300}, wantNotRd: []int{50, 50}, want: true},
		{name: "too many ready drops all not-ready", ready: []int{900, 300}, notReady: []int{10, 0}, wantReady: []int{750, 250}, wantNotRd: []int{0, 0}, want: true},
		{name: "rounding remainder handed out", ready: []int{700, 700, 700}, notReady: []int{0, 0, 0}, wantReady: []int{334, 333, 333}, wantNotRd: []int{0, 0, 0}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ss []corev1.EndpointSubset
			for i := range tt.ready {
				ss = append(ss, corev1.EndpointSubset{Addresses: addresses("r", tt.ready[i]), NotReadyAddresses: addresses("n", tt.notReady[i])})
			}
			got := Truncate(ss)
			for i := range ss {
				if len(ss[i].Addresses) != tt.wantReady[i] || len(ss[i].NotReadyAddresses) != tt.wantNotRd[i] {
					t.Errorf("subset %d: %d ready %d not ready, want %d %d", i, len(ss[i].Addresses), len(ss[i].NotReadyAddresses), tt.wantReady[i], tt.wantNotRd[i])
				}
			}
			if got != tt.want {
				t.Errorf("truncated = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestDesired(t *testing.T) {
	trigger := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	svc := mkSvc(func(s *corev1.Service) { s.Labels = map[string]string{"tier": "front"} })
	pods := []*corev1.Pod{mkPod("a", "10.0.0.1")}
	stub := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"}}
	first := Desired(svc, pods, stub, trigger)
	if first == nil {
		t.Fatal("no Endpoints for a new Service")
	}
	wantLabels := map[string]string{"tier": "front", ManagedByLabel: ControllerName}
	if fmt.Sprint(first.Labels) != fmt.Sprint(wantLabels) || first.Annotations[corev1.EndpointsLastChangeTriggerTime] != "2026-01-02T03:04:05.000000006Z" {
		t.Errorf("labels %v annotations %v", first.Labels, first.Annotations)
	}
	saved := first.DeepCopy()
	saved.ResourceVersion = "5"
	if again := Desired(svc, pods, saved, trigger.Add(time.Hour)); again != nil {
		t.Errorf("rewrite with nothing changed but the trigger time: %+v", again)
	}
	headless := svc.DeepCopy()
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	if next := Desired(headless, pods, saved, time.Time{}); next == nil {
		t.Error("headless label change not written")
	} else if _, ok := next.Labels[corev1.IsHeadlessService]; !ok || next.Annotations[corev1.EndpointsLastChangeTriggerTime] != "" {
		t.Errorf("headless update: labels %v annotations %v", next.Labels, next.Annotations)
	}
	many := make([]*corev1.Pod, 0, 1001)
	for i := range 1001 {
		many = append(many, mkPod(fmt.Sprintf("p%d", i), fmt.Sprintf("10.1.%d.%d", i/200, i%200)))
	}
	over := Desired(svc, many, saved, time.Time{})
	if over == nil || over.Annotations[corev1.EndpointsOverCapacity] != "truncated" || len(over.Subsets[0].Addresses) != MaxCapacity {
		t.Errorf("over capacity not truncated/annotated")
	}
}
