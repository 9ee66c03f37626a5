package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestSchedulerProfiles starts a server whose --scheduler-config has two
// profiles and checks that the scheduler serves both names (binding and
// reporting events as each) and leaves pods of an unknown scheduler name
// alone. The nodes are API objects only (no agent): binding is all that
// is checked.
func TestSchedulerProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scheduler.yaml")
	config := `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCluster(t, serverOptions{extraArgs: []string{"--scheduler-config", path}})
	cfg, err := c.restConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"profiles-busy", "profiles-empty"} {
		createFakeNode(ctx, t, cs, name)
	}
	// Fill profiles-busy a little so that packing and spreading differ;
	// cpu and memory in the nodes' proportion keep BalancedAllocation
	// neutral.
	mk := func(name, scheduler, node string, cpus int64) *v1.Pod {
		req := v1.ResourceList{v1.ResourceCPU: *resource.NewQuantity(cpus, resource.DecimalSI),
			v1.ResourceMemory: *resource.NewQuantity(cpus<<31, resource.BinarySI)}
		return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1.PodSpec{SchedulerName: scheduler, NodeName: node,
				Tolerations: []v1.Toleration{{Operator: v1.TolerationOpExists}},
				Containers: []v1.Container{{Name: "c", Image: "registry.example/none:1",
					Resources: v1.ResourceRequirements{Requests: req}}}}}
	}
	for _, p := range []*v1.Pod{mk("filler", "", "profiles-busy", 2), mk("for-nobody", "nobody", "", 1),
		mk("spread-me", "", "", 1), mk("pack-me", "packer", "", 1)} {
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"spread-me": "profiles-empty", "pack-me": "profiles-busy"} {
		err := eventually(ctx, 60*time.Second, func() error {
			p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Spec.NodeName != want {
				return fmt.Errorf("pod %s on node %q, want %s", name, p.Spec.NodeName, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = eventually(ctx, 30*time.Second, func() error {
		evs, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, e := range evs.Items {
			if e.Reason == "Scheduled" {
				got[e.Regarding.Name] = e.ReportingController
			}
		}
		if got["spread-me"] != "default-scheduler" || got["pack-me"] != "packer" {
			return fmt.Errorf("Scheduled events by pod: %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := cs.CoreV1().Pods("default").Get(ctx, "for-nobody", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "" || len(p.Status.Conditions) > 0 {
		t.Errorf("pod of scheduler %q was touched: node %q, conditions %v", "nobody", p.Spec.NodeName, p.Status.Conditions)
	}
}

// createFakeNode registers a Ready node with 4 cpus and no kubelet behind
// it.
func createFakeNode(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	rl := v1.ResourceList{v1.ResourceCPU: resource.MustParse("4"), v1.ResourceMemory: resource.MustParse("8Gi"),
		v1.ResourcePods: resource.MustParse("110")}
	n, err := cs.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{v1.LabelHostname: name}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	n.Status = v1.NodeStatus{Capacity: rl, Allocatable: rl,
		Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set status of node %s: %v", name, err)
	}
}
