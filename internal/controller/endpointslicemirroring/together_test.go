package endpointslicemirroring_test

import (
	"context"
	"log/slog"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/controller/endpoints"
	"github.com/capstan/capstan/internal/controller/endpointslice"
	et "github.com/capstan/capstan/internal/controller/endpointslice/endpointstest"
)

// TestThreeControllersTogether runs all three as the controller manager
// does: a selector Service's Endpoints (written by the endpoints
// controller) must not be mirrored, and no controller touches the API
// server's kubernetes Endpoints and slice.
func TestThreeControllersTogether(t *testing.T) {
	cs := et.Start(t, build,
		func(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (et.Runner, error) {
			return endpoints.New(endpoints.Options{Log: log, Client: cs, Informers: f})
		},
		func(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (et.Runner, error) {
			return endpointslice.New(endpointslice.Options{Log: log, Client: cs, Informers: f})
		})
	ctx := context.Background()
	et.AddNode(t, cs, "n1", nil)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	et.CreatePod(t, cs, et.Pod{Name: "a", Node: "n1", Labels: map[string]string{"app": "web"}})
	et.SetStatus(t, cs, "a", "10.1.0.1", true)
	et.Poll(t, "endpoints and slice for web", func(ctx context.Context) (bool, error) {
		ep, err := cs.CoreV1().Endpoints("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil || len(ep.Subsets) != 1 {
			return false, nil
		}
		l, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		return err == nil && len(l.Items) == 1 && len(l.Items[0].Endpoints) == 1, err
	})
	all, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all.Items {
		name, by := s.Labels[discoveryv1.LabelServiceName], s.Labels[discoveryv1.LabelManagedBy]
		switch {
		case name == "web" && by != endpointslice.ControllerName:
			t.Errorf("web has a slice managed by %q", by)
		case name == "kubernetes" && (s.Name != "kubernetes" || len(s.Endpoints) != 1 || s.Endpoints[0].Addresses[0] != "10.0.0.1"):
			t.Errorf("kubernetes slice changed or duplicated: %+v", s)
		}
	}
	k, err := cs.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || len(k.Subsets) != 1 || k.Subsets[0].Addresses[0].IP != "10.0.0.1" {
		t.Errorf("kubernetes Endpoints changed: %+v %v", k, err)
	}
}
