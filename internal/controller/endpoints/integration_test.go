package endpoints_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/controller/endpoints"
	et "github.com/capstan/capstan/internal/controller/endpointslice/endpointstest"
)

func build(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (et.Runner, error) {
	return endpoints.New(endpoints.Options{Log: log, Client: cs, Informers: f})
}

// render prints subsets as "ports: ready=[name@ip/host] notready=[...]".
func render(ep *corev1.Endpoints) string {
	var out []string
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
	for _, ss := range ep.Subsets {
		var ports []string
		for _, p := range ss.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d", p.Name, p.Port))
		}
		out = append(out, fmt.Sprintf("%s ready=[%s] notready=[%s]", strings.Join(ports, ","), addrs(ss.Addresses), addrs(ss.NotReadyAddresses)))
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func hasEndpoints(cs kubernetes.Interface, name, want string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		ep, err := cs.CoreV1().Endpoints("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return render(ep) == want, nil
	}
}

func createService(t *testing.T, cs kubernetes.Interface, svc *corev1.Service) {
	t.Helper()
	svc.Namespace = "default"
	if _, err := cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestEndpointsFollowPods(t *testing.T) {
	cs := et.Start(t, build)
	ctx := context.Background()
	createService(t, cs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"tier": "front"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("web")}}}})
	et.Poll(t, "empty endpoints", hasEndpoints(cs, "web", ""))
	lbl := map[string]string{"app": "web"}
	et.CreatePod(t, cs, et.Pod{Name: "a", Node: "n1", Labels: lbl, Ports: map[string]int32{"web": 8080}})
	et.CreatePod(t, cs, et.Pod{Name: "b", Node: "n1", Labels: lbl, Ports: map[string]int32{"web": 9090}})
	et.CreatePod(t, cs, et.Pod{Name: "noip", Node: "n1", Labels: lbl, Ports: map[string]int32{"web": 8080}})
	et.SetStatus(t, cs, "a", "10.1.0.1", true)
	et.SetStatus(t, cs, "b", "10.1.0.2", false)
	et.Poll(t, "named ports per pod, readiness", hasEndpoints(cs, "web", "http:8080 ready=[a@10.1.0.1] notready=[]; http:9090 ready=[] notready=[b@10.1.0.2]"))
	et.SetStatus(t, cs, "b", "10.1.0.2", true)
	et.Poll(t, "b ready", hasEndpoints(cs, "web", "http:8080 ready=[a@10.1.0.1] notready=[]; http:9090 ready=[b@10.1.0.2] notready=[]"))

	ep, err := cs.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ep.Labels["tier"] != "front" || ep.Labels[endpoints.ManagedByLabel] != endpoints.ControllerName {
		t.Errorf("labels %v", ep.Labels)
	}
	if _, ok := ep.Labels[corev1.IsHeadlessService]; ok {
		t.Errorf("headless label on a ClusterIP service: %v", ep.Labels)
	}
	if ep.Annotations[corev1.EndpointsLastChangeTriggerTime] == "" {
		t.Errorf("no trigger time annotation: %v", ep.Annotations)
	}
	if a := ep.Subsets[0].Addresses[0]; a.NodeName == nil || *a.NodeName != "n1" || a.TargetRef.Kind != "Pod" {
		t.Errorf("address %+v", a)
	}

	// A terminating pod leaves the Endpoints.
	if err := cs.CoreV1().Pods("default").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "a gone", hasEndpoints(cs, "web", "http:9090 ready=[b@10.1.0.2] notready=[]"))

	if err := cs.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "endpoints deleted", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
		return err != nil, nil
	})
}

func TestHeadlessPublishNotReady(t *testing.T) {
	cs := et.Start(t, build)
	createService(t, cs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}, ClusterIP: corev1.ClusterIPNone, PublishNotReadyAddresses: true,
			Ports: []corev1.ServicePort{{Name: "sql", Port: 5432}}}})
	et.CreatePod(t, cs, et.Pod{Name: "db-0", Node: "n1", Labels: map[string]string{"app": "db"}, Hostname: "db-0", Subdomain: "db"})
	et.SetStatus(t, cs, "db-0", "10.1.0.5", false)
	et.Poll(t, "not-ready pod published with hostname", hasEndpoints(cs, "db", "sql:5432 ready=[db-0@10.1.0.5/db-0] notready=[]"))
	ep, err := cs.CoreV1().Endpoints("default").Get(context.Background(), "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ep.Labels[corev1.IsHeadlessService]; !ok || v != "" {
		t.Errorf("headless label missing: %v", ep.Labels)
	}
}

func TestSelectorlessServicesLeftAlone(t *testing.T) {
	cs := et.Start(t, build)
	ctx := context.Background()
	createService(t, cs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "manual"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}})
	manual := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "manual", Namespace: "default"},
		Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}}, Ports: []corev1.EndpointPort{{Port: 80}}}}}
	if _, err := cs.CoreV1().Endpoints("default").Create(ctx, manual, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Service with a selector proves the controller is working before checking the others.
	createService(t, cs, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "probe"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "x"}, Ports: []corev1.ServicePort{{Port: 80}}}})
	et.Poll(t, "probe endpoints", hasEndpoints(cs, "probe", ""))
	for _, name := range []string{"manual", "kubernetes"} {
		ep, err := cs.CoreV1().Endpoints("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s endpoints: %v", name, err)
		}
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || ep.Labels[endpoints.ManagedByLabel] != "" {
			t.Errorf("%s endpoints changed: %+v", name, ep)
		}
	}
}
