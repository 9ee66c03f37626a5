package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// fakeNode is a Node with capacity and allocatable set, as a kubelet would
// register it (there is no kubelet in these tests).
func fakeNode(name, cpu, memory string, pods int, taints ...v1.Taint) *v1.Node {
	rl := v1.ResourceList{
		v1.ResourceCPU:    resource.MustParse(cpu),
		v1.ResourceMemory: resource.MustParse(memory),
		v1.ResourcePods:   *resource.NewQuantity(int64(pods), resource.DecimalSI),
	}
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:       v1.NodeSpec{Taints: taints},
		Status: v1.NodeStatus{
			Capacity:    rl,
			Allocatable: rl,
			Conditions:  []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}},
		},
	}
}

// createNode creates the node and makes sure its status is stored.
func createNode(ctx context.Context, t testing.TB, cs kubernetes.Interface, n *v1.Node) {
	t.Helper()
	got, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", n.Name, err)
	}
	if len(got.Status.Allocatable) == 0 {
		got.Status = n.Status
		if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("set status of node %s: %v", n.Name, err)
		}
	}
}

// fakePod is a pending pod requesting cpu and memory ("" for none).
func fakePod(name, cpu, memory string) *v1.Pod {
	req := v1.ResourceList{}
	if cpu != "" {
		req[v1.ResourceCPU] = resource.MustParse(cpu)
	}
	if memory != "" {
		req[v1.ResourceMemory] = resource.MustParse(memory)
	}
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.PodSpec{Containers: []v1.Container{{
			Name: "c", Image: "registry.example/app:1", Resources: v1.ResourceRequirements{Requests: req},
		}}},
	}
}

// startScheduler runs a scheduler against srv (or cfg.RestConfig when srv
// is nil) until the test ends.
func startScheduler(t testing.TB, srv *apiservertest.Server, cfg Config) *Scheduler {
	t.Helper()
	if srv != nil {
		cfg.RestConfig = srv.Config
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("scheduler run: %v", err)
		}
	})
	return s
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// podNode returns the node a pod is bound to ("" if none).
func podNode(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get pod %s: %w", name, err)
	}
	return p.Spec.NodeName, nil
}
