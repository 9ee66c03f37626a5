package nodelifecycle

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
)

func zoneNode(name, zone string, ready corev1.ConditionStatus, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelTopologyZone: zone}},
		Spec:       corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: ready, LastHeartbeatTime: metav1.NewTime(t0),
		}}},
	}
}

// noExecuteTainted counts nodes carrying an owned NoExecute taint, as the
// controller's cache sees them once it caught up with the API.
func noExecuteTainted(t *testing.T, c *Controller, cs *fake.Clientset) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	list, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list.Items {
		if hasTaint(n.Spec.Taints, corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute) || hasTaint(n.Spec.Taints, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute) {
			out[n.Name] = true
		}
	}
	poll(t, "cache caught up", func(context.Context) (bool, error) {
		cached, _ := c.nodes.List(labels.Everything())
		for _, n := range cached {
			// The fake clientset keeps no resourceVersions: compare content.
			api, _ := cs.CoreV1().Nodes().Get(context.Background(), n.Name, metav1.GetOptions{})
			if !equality.Semantic.DeepEqual(api.Spec, n.Spec) || !equality.Semantic.DeepEqual(api.Status, n.Status) {
				return false, nil
			}
		}
		return true, nil
	})
	return out
}

func TestZoneRateLimitedTainting(t *testing.T) {
	tests := []struct {
		name  string
		nodes func() []runtime.Object
		// tainted is the number of NoExecute-tainted nodes after passes at
		// t0, t0+5s, t0+10s.
		tainted []int
	}{
		{"normal zone taints one node per 10s", func() []runtime.Object {
			var nodes []runtime.Object
			for i := range 10 {
				s := corev1.ConditionTrue
				if i < 2 {
					s = corev1.ConditionFalse
				}
				nodes = append(nodes, zoneNode(fmt.Sprintf("n%d", i), "z1", s))
			}
			return nodes
		}, []int{1, 1, 2}},
		{"small partially disrupted zone stops tainting", func() []runtime.Object {
			return []runtime.Object{
				zoneNode("a", "z1", corev1.ConditionFalse), zoneNode("b", "z1", corev1.ConditionFalse),
				zoneNode("c", "z1", corev1.ConditionFalse), zoneNode("d", "z1", corev1.ConditionTrue),
				zoneNode("e", "z2", corev1.ConditionTrue),
			}
		}, []int{0, 0, 0}},
		{"full disruption of one zone keeps tainting", func() []runtime.Object {
			return []runtime.Object{zoneNode("a", "z1", corev1.ConditionFalse), zoneNode("e", "z2", corev1.ConditionTrue)}
		}, []int{1, 1, 1}},
		{"all zones fully disrupted: evictions stop and taints go", func() []runtime.Object {
			old := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
			return []runtime.Object{zoneNode("a", "z1", corev1.ConditionFalse, old), zoneNode("b", "z2", corev1.ConditionFalse)}
		}, []int{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(tt.nodes()...)
			clk := testingclock.NewFakeClock(t0)
			f := informers.NewSharedInformerFactory(cs, 0)
			c, err := New(Options{Client: cs, Clock: clk, Recorder: record.NewFakeRecorder(100),
				Nodes: f.Core().V1().Nodes(), Pods: f.Core().V1().Pods(), Leases: f.Coordination().V1().Leases()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.Start(ctx.Done())
			f.WaitForCacheSync(ctx.Done())
			for i, want := range tt.tainted {
				c.monitorPass(ctx)
				if got := noExecuteTainted(t, c, cs); len(got) != want {
					t.Fatalf("pass %d: %d nodes NoExecute-tainted (%v), want %d", i, len(got), got, want)
				}
				clk.Step(5 * time.Second)
			}
		})
	}
}
