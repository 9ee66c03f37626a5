package endpointstest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// Runner is a built controller.
type Runner interface {
	Run(ctx context.Context, workers int) error
}

// Build constructs a controller from a client, informers and logger.
type Build func(cs kubernetes.Interface, f informers.SharedInformerFactory, log *slog.Logger) (Runner, error)

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// Logger routes logs to t.
func Logger(t testing.TB) *slog.Logger { return slog.New(slog.NewTextHandler(testWriter{t}, nil)) }

// Start runs an API server that advertises 10.0.0.1:6443 for the
// kubernetes Service, and the controllers built by builds (two workers
// each); everything stops in t.Cleanup.
func Start(t testing.TB, builds ...Build) kubernetes.Interface {
	t.Helper()
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		c.AdvertiseAddress = net.ParseIP("10.0.0.1")
		c.Port = 6443
	})
	cs := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	factory := informers.NewSharedInformerFactory(cs, 0)
	var runners []Runner
	for _, b := range builds {
		r, err := b(cs, factory, Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		runners = append(runners, r)
	}
	factory.Start(ctx.Done())
	done := make(chan struct{}, len(runners))
	for _, r := range runners {
		go func() { _ = r.Run(ctx, 2); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range runners {
			<-done
		}
		factory.Shutdown()
	})
	return cs
}

// Poll waits up to 30s for cond.
func Poll(t testing.TB, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// AddNode creates a node with labels.
func AddNode(t testing.TB, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := cs.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Pod is a pod spec for CreatePod.
type Pod struct {
	Name, Node string
	Labels     map[string]string
	// Ports are named TCP container ports: name → number.
	Ports     map[string]int32
	Hostname  string
	Subdomain string
}

// CreatePod creates p in namespace default.
func CreatePod(t testing.TB, cs kubernetes.Interface, p Pod) {
	t.Helper()
	c := corev1.Container{Name: "c", Image: "busybox"}
	for name, n := range p.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP})
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: "default", Labels: p.Labels},
		Spec: corev1.PodSpec{NodeName: p.Node, Hostname: p.Hostname, Subdomain: p.Subdomain,
			Containers: []corev1.Container{c}},
	}
	if _, err := cs.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s: %v", p.Name, err)
	}
}

// SetStatus plays the kubelet: the pod runs with ip and its Ready
// condition is ready.
func SetStatus(t testing.TB, cs kubernetes.Interface, name, ip string, ready bool) {
	t.Helper()
	ctx := context.Background()
	pod, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = ip
	pod.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st, LastTransitionTime: metav1.Now()}}
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set status of %s: %v", name, err)
	}
}

// IP returns the i-th test pod IP, 10.1.x.y.
func IP(i int) string { return fmt.Sprintf("10.1.%d.%d", i/250, i%250+1) }
