package endpointslicemirroring_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	et "github.com/capstan/capstan/internal/controller/endpointslice/endpointstest"
	"github.com/capstan/capstan/internal/controller/endpointslicemirroring"
)

func build(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (et.Runner, error) {
	return endpointslicemirroring.New(endpointslicemirroring.Options{Log: log, Client: cs, Informers: f})
}

// mirrored renders the mirrored slices of name: "type ports [ip:ready ...]" sorted.
func mirrored(ctx context.Context, cs kubernetes.Interface, name string) ([]string, error) {
	l, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + name + "," + discoveryv1.LabelManagedBy + "=" + endpointslicemirroring.ControllerName})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range l.Items {
		var ports, eps []string
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("%s:%d", *p.Name, *p.Port))
		}
		for _, e := range s.Endpoints {
			eps = append(eps, fmt.Sprintf("%s:%t", e.Addresses[0], *e.Conditions.Ready))
		}
		sort.Strings(eps)
		out = append(out, fmt.Sprintf("%s %s [%s]", s.AddressType, strings.Join(ports, ","), strings.Join(eps, " ")))
	}
	sort.Strings(out)
	return out, nil
}

func hasMirrored(cs kubernetes.Interface, name string, want ...string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		got, err := mirrored(ctx, cs, name)
		return err == nil && fmt.Sprint(got) == fmt.Sprint(want), err
	}
}

func TestMirrorSelectorlessService(t *testing.T) {
	cs := et.Start(t, build)
	ctx := context.Background()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: "default"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "ext", Namespace: "default", Labels: map[string]string{"team": "a"}},
		Subsets: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}, {IP: "2001:db8::1"}}, NotReadyAddresses: []corev1.EndpointAddress{{IP: "192.0.2.2"}},
				Ports: []corev1.EndpointPort{{Name: "http", Port: 8080}}},
			{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.9"}}, Ports: []corev1.EndpointPort{{Name: "http", Port: 9090}}},
		}}
	created, err := cs.CoreV1().Endpoints("default").Create(ctx, ep, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "mirrored slices", hasMirrored(cs, "ext",
		"IPv4 http:8080 [192.0.2.1:true 192.0.2.2:false]", "IPv4 http:9090 [192.0.2.9:true]", "IPv6 http:8080 [2001:db8::1:true]"))
	l, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "team=a"})
	if err != nil || len(l.Items) != 3 {
		t.Fatalf("labels not copied: %v %v", l, err)
	}
	if ref := metav1.GetControllerOf(&l.Items[0]); ref == nil || ref.Kind != "Endpoints" || ref.UID != created.UID {
		t.Errorf("owner %v", ref)
	}

	created.Subsets = created.Subsets[:1]
	created.Subsets[0].NotReadyAddresses = nil
	if _, err := cs.CoreV1().Endpoints("default").Update(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "mirror follows update", hasMirrored(cs, "ext", "IPv4 http:8080 [192.0.2.1:true]", "IPv6 http:8080 [2001:db8::1:true]"))

	cur, err := cs.CoreV1().Endpoints("default").Get(ctx, "ext", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Labels[discoveryv1.LabelSkipMirror] = "true"
	if _, err := cs.CoreV1().Endpoints("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "skip-mirror removes slices", hasMirrored(cs, "ext"))

	// The API server's kubernetes Endpoints is labeled skip-mirror: never mirrored.
	if got, err := mirrored(ctx, cs, "kubernetes"); err != nil || len(got) != 0 {
		t.Errorf("kubernetes Endpoints mirrored: %v %v", got, err)
	}
}

func TestMirrorStopsWhenServiceGoesOrGetsSelector(t *testing.T) {
	cs := et.Start(t, build)
	ctx := context.Background()
	for _, name := range []string{"gone", "selected"} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Subsets: []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: "192.0.2.1"}}, Ports: []corev1.EndpointPort{{Port: 80}}}}}
		if _, err := cs.CoreV1().Endpoints("default").Create(ctx, ep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		et.Poll(t, name+" mirrored", hasMirrored(cs, name, "IPv4 :80 [192.0.2.1:true]"))
	}
	if err := cs.CoreV1().Services("default").Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "mirror removed with the Service", hasMirrored(cs, "gone"))
	svc, err := cs.CoreV1().Services("default").Get(ctx, "selected", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Spec.Selector = map[string]string{"app": "x"}
	if _, err := cs.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	et.Poll(t, "mirror removed when the Service gets a selector", hasMirrored(cs, "selected"))
}
