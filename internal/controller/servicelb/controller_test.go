package servicelb

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// start runs a controller against cs (one worker, so keys are synced in
// event order) until stop or the end of the test; it returns the
// controller's event recorder and stop, which waits for Run to return.
func start(t *testing.T, cs kubernetes.Interface, pool ...string) (*record.FakeRecorder, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	rec := record.NewFakeRecorder(100)
	var ranges []AddrRange
	if len(pool) > 0 {
		var err error
		if ranges, err = ParsePool(strings.Join(pool, ",")); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: cs, Services: factory.Core().V1().Services(),
		Nodes: factory.Core().V1().Nodes(), Recorder: rec, Pool: ranges})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 1) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("controller: %v", err)
			}
			factory.Shutdown()
		})
	}
	t.Cleanup(stop)
	return rec, stop
}

func setNode(t *testing.T, cs kubernetes.Interface, name, ip string, ready corev1.ConditionStatus) {
	t.Helper()
	ctx := context.Background()
	n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		n, err = cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{internal(ip)}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, LastHeartbeatTime: metav1.Now()}}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createLB(t *testing.T, cs kubernetes.Interface, name string, class *string) {
	t.Helper()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: class, Selector: map[string]string{"app": name},
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
	}}
	if _, err := cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitIngress waits until the service shows exactly want.
func waitIngress(t *testing.T, cs kubernetes.Interface, name string, want ...string) {
	t.Helper()
	var got []string
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		svc, err := cs.CoreV1().Services("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = ips(svc.Status.LoadBalancer.Ingress)
		return slices.Equal(got, want), nil
	})
	if err != nil {
		t.Fatalf("service %s ingress %v, want %v: %v", name, got, want, err)
	}
}

// drainEvents returns the events recorded so far.
func drainEvents(rec *record.FakeRecorder) string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return strings.Join(out, "\n")
		}
	}
}

// waitEvents waits until the events recorded from now on contain every
// one of want: the controller records an event after the status write a
// test waits for, so it may come a moment later.
func waitEvents(t *testing.T, rec *record.FakeRecorder, want ...string) {
	t.Helper()
	var events string
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		events += drainEvents(rec) + "\n"
		for _, w := range want {
			if !strings.Contains(events, w) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("events %q lack one of %q: %v", events, want, err)
	}
}

func TestNodeModeFollowsReadyNodes(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	setNode(t, cs, "a", "10.1.0.1", corev1.ConditionTrue)
	setNode(t, cs, "b", "10.1.0.2", corev1.ConditionTrue)
	rec, _ := start(t, cs)
	createLB(t, cs, "web", nil)
	createLB(t, cs, "other", ptr.To("example.com/other"))
	waitIngress(t, cs, "web", "10.1.0.1", "10.1.0.2")
	waitEvents(t, rec, "Normal EnsuringLoadBalancer Ensuring load balancer", "Normal EnsuredLoadBalancer Ensured load balancer")

	setNode(t, cs, "b", "10.1.0.2", corev1.ConditionFalse)
	waitIngress(t, cs, "web", "10.1.0.1")
	setNode(t, cs, "c", "10.1.0.3", corev1.ConditionTrue)
	waitIngress(t, cs, "web", "10.1.0.1", "10.1.0.3")
	waitIngress(t, cs, "other") // a class names another implementation

	// allocateLoadBalancerNodePorts false: the Service still gets its
	// ingress (the proxy forwards ingress IPs without node ports).
	noPorts := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "noports", Namespace: "default"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: ptr.To(false),
		Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
	}}
	if _, err := cs.CoreV1().Services("default").Create(context.Background(), noPorts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIngress(t, cs, "noports", "10.1.0.1", "10.1.0.3")

	svc, err := cs.CoreV1().Services("default").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.AllocateLoadBalancerNodePorts = nil
	svc.Spec.ExternalTrafficPolicy = ""
	for i := range svc.Spec.Ports {
		svc.Spec.Ports[i].NodePort = 0
	}
	if _, err := cs.CoreV1().Services("default").Update(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIngress(t, cs, "web")
	waitEvents(t, rec, "DeletedLoadBalancer")
}

func TestPoolModeOneStableAddressPerService(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	setNode(t, cs, "a", "10.1.0.1", corev1.ConditionTrue)
	_, stop := start(t, cs, "192.0.2.0/29")
	createLB(t, cs, "one", nil)
	waitIngress(t, cs, "one", "192.0.2.1")
	createLB(t, cs, "two", nil)
	waitIngress(t, cs, "two", "192.0.2.2")
	if err := cs.CoreV1().Services("default").Delete(context.Background(), "one", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	createLB(t, cs, "three", nil)
	waitIngress(t, cs, "three", "192.0.2.1") // freed by the delete

	// A restarted controller keeps the addresses it finds.
	stop()
	start(t, cs, "192.0.2.0/29")
	createLB(t, cs, "four", nil)
	waitIngress(t, cs, "four", "192.0.2.3")
	waitIngress(t, cs, "two", "192.0.2.2")
	waitIngress(t, cs, "three", "192.0.2.1")
}

func TestPoolModeRequestsAndClasses(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	rec, _ := start(t, cs, "192.0.2.10-192.0.2.12")
	ctx := context.Background()
	request := func(name, ip string) {
		t.Helper()
		svc, err := cs.CoreV1().Services("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Annotations = map[string]string{LoadBalancerIPsAnnotation: ip}
		if _, err := cs.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	createLB(t, cs, "other", ptr.To("example.com/other"))
	createLB(t, cs, "ours", ptr.To(LoadBalancerClass))
	waitIngress(t, cs, "ours", "192.0.2.10")
	createLB(t, cs, "asks", nil)
	waitIngress(t, cs, "asks", "192.0.2.11")
	request("asks", "192.0.2.12")
	waitIngress(t, cs, "asks", "192.0.2.12")
	drainEvents(rec)
	request("ours", "192.0.2.12") // taken: ours keeps what it has
	if err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return strings.Contains(drainEvents(rec), "Warning SyncLoadBalancerFailed Error syncing load balancer: requested address 192.0.2.12 is already in use by service default/asks"), nil
	}); err != nil {
		t.Fatalf("no SyncLoadBalancerFailed event for a taken address: %v", err)
	}
	waitIngress(t, cs, "ours", "192.0.2.10")
	waitIngress(t, cs, "other") // another implementation's: never touched
}
