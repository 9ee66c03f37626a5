package endpointslice_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/controller/endpointslice"
	et "github.com/capstan/capstan/internal/controller/endpointslice/endpointstest"
)

func build(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (et.Runner, error) {
	return endpointslice.New(endpointslice.Options{Log: log, Client: cs, Informers: f})
}

func webService(t *testing.T, cs kubernetes.Interface, name string) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"tier": "front"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("web")}}},
	}
	got, err := cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func slicesOf(ctx context.Context, cs kubernetes.Interface, svc string) ([]discoveryv1.EndpointSlice, error) {
	l, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// summary renders the endpoints of all slices: "name:ip:port:ready/serving/terminating".
func summary(ss []discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range ss {
		port := int32(0)
		if len(s.Ports) > 0 {
			port = *s.Ports[0].Port
		}
		for _, e := range s.Endpoints {
			c := e.Conditions
			out = append(out, fmt.Sprintf("%s:%s:%d:%t/%t/%t", e.TargetRef.Name, e.Addresses[0], port, *c.Ready, *c.Serving, *c.Terminating))
		}
	}
	sort.Strings(out)
	return out
}

func hasSummary(cs kubernetes.Interface, svc string, want ...string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		ss, err := slicesOf(ctx, cs, svc)
		return err == nil && fmt.Sprint(summary(ss)) == fmt.Sprint(want), err
	}
}

func TestSlicesFollowPods(t *testing.T) {
	cs := et.Start(t, build)
	ctx := context.Background()
	et.AddNode(t, cs, "n1", map[string]string{corev1.LabelTopologyZone: "z1"})
	svc := webService(t, cs, "web")
	et.Poll(t, "placeholder slice", func(ctx context.Context) (bool, error) {
		ss, err := slicesOf(ctx, cs, "web")
		return err == nil && len(ss) == 1 && len(ss[0].Endpoints) == 0, err
	})
	lbl := map[string]string{"app": "web"}
	et.CreatePod(t, cs, et.Pod{Name: "a", Node: "n1", Labels: lbl, Ports: map[string]int32{"web": 8080}})
	et.CreatePod(t, cs, et.Pod{Name: "b", Node: "n1", Labels: lbl, Ports: map[string]int32{"web": 9090}})
	et.SetStatus(t, cs, "a", "10.1.0.1", true)
	et.SetStatus(t, cs, "b", "10.1.0.2", false)
	et.Poll(t, "two endpoints with per-pod ports", hasSummary(cs, "web", "a:10.1.0.1:8080:true/true/false", "b:10.1.0.2:9090:false/false/false"))

	ss, err := slicesOf(ctx, cs, "web")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		ref := metav1.GetControllerOf(&s)
		if ref == nil || ref.UID != svc.UID || s.Labels[discoveryv1.LabelManagedBy] != endpointslice.ControllerName ||
			s.Labels["tier"] != "front" || s.GenerateName != "web-" || s.AddressType != discoveryv1.AddressTypeIPv4 {
			t.Errorf("slice %s metadata: owner %v labels %v generateName %q type %s", s.Name, ref, s.Labels, s.GenerateName, s.AddressType)
		}
		for _, e := range s.Endpoints {
			if e.Zone == nil || *e.Zone != "z1" || e.NodeName == nil || *e.NodeName != "n1" {
				t.Errorf("endpoint %s: zone %v node %v", e.TargetRef.Name, e.Zone, e.NodeName)
			}
		}
	}

	et.SetStatus(t, cs, "b", "10.1.0.2", true)
	et.Poll(t, "b ready", hasSummary(cs, "web", "a:10.1.0.1:8080:true/true/false", "b:10.1.0.2:9090:true/true/false"))
	// Graceful deletion: a is terminating (still serving, not ready) until the "kubelet" is done.
	if err := cs.CoreV1().Pods("default").Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "a terminating", hasSummary(cs, "web", "a:10.1.0.1:8080:false/true/true", "b:10.1.0.2:9090:true/true/false"))
	zero := int64(0)
	if err := cs.CoreV1().Pods("default").Delete(ctx, "a", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "a gone", hasSummary(cs, "web", "b:10.1.0.2:9090:true/true/false"))

	if err := cs.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "slices deleted", func(ctx context.Context) (bool, error) {
		ss, err := slicesOf(ctx, cs, "web")
		return err == nil && len(ss) == 0, err
	})
	k, err := cs.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || len(k.Endpoints) != 1 || k.Endpoints[0].Addresses[0] != "10.0.0.1" {
		t.Errorf("kubernetes slice touched: %v %v", k, err)
	}
}

func TestManyPodsPackIntoSlicesOf100(t *testing.T) {
	cs := et.Start(t, build)
	et.AddNode(t, cs, "n1", nil)
	webService(t, cs, "big")
	const n = 250
	for i := range n {
		name := fmt.Sprintf("p%03d", i)
		et.CreatePod(t, cs, et.Pod{Name: name, Node: "n1", Labels: map[string]string{"app": "big"}, Ports: map[string]int32{"web": 80}})
		et.SetStatus(t, cs, name, et.IP(i), true)
	}
	et.Poll(t, "250 endpoints in 3 slices", func(ctx context.Context) (bool, error) {
		ss, err := slicesOf(ctx, cs, "big")
		if err != nil || len(ss) != 3 {
			return false, err
		}
		total := 0
		for _, s := range ss {
			if len(s.Endpoints) > 100 {
				return false, fmt.Errorf("slice %s has %d endpoints", s.Name, len(s.Endpoints))
			}
			total += len(s.Endpoints)
		}
		return total == n, nil
	})
}
