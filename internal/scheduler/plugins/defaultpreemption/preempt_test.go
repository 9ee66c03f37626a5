package defaultpreemption

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/capstan/capstan/internal/scheduler/framework"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
	"github.com/capstan/capstan/internal/scheduler/plugins/nodeunschedulable"
)

// recorder is an Evictor that remembers the decision.
type recorder struct {
	node        string
	victims     []string
	unnominated []string
}

func (r *recorder) Preempt(_ context.Context, _ *v1.Pod, node string, victims, unnominate []*v1.Pod) error {
	for _, u := range unnominate {
		r.unnominated = append(r.unnominated, u.Name)
	}
	r.node = node
	for _, v := range victims {
		r.victims = append(r.victims, v.Name)
	}
	return nil
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type bound struct {
	name, node string
	prio       int32
	cpu        string
	startSec   int
	labels     map[string]string
	deleting   bool
}

func mkPod(name string, prio int32, cpu string) *v1.Pod {
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name)},
		Spec: v1.PodSpec{Priority: &prio, SchedulerName: v1.DefaultSchedulerName, Containers: []v1.Container{{Name: "c",
			Resources: v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

func snapshotOf(unschedulable string, pods []bound) *framework.Snapshot {
	infos := map[string]*framework.NodeInfo{}
	var list []*framework.NodeInfo
	for _, name := range []string{"n1", "n2", "n3"} {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{Unschedulable: name == unschedulable},
			Status: v1.NodeStatus{Allocatable: v1.ResourceList{v1.ResourceCPU: resource.MustParse("2"), v1.ResourcePods: resource.MustParse("10")}}}
		infos[name] = framework.NewNodeInfo(n)
		list = append(list, infos[name])
	}
	for _, b := range pods {
		p := mkPod(b.name, b.prio, b.cpu)
		p.Labels = b.labels
		p.Spec.NodeName = b.node
		start := metav1.NewTime(t0.Add(time.Duration(b.startSec) * time.Second))
		p.Status.StartTime = &start
		if b.deleting {
			p.DeletionTimestamp = &start
		}
		infos[b.node].AddPod(framework.NewPodInfo(p))
	}
	return framework.NewSnapshot(list)
}

func TestPreemption(t *testing.T) {
	never := v1.PreemptNever
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "guard", Namespace: "default"},
		Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: &intstr.IntOrString{IntVal: 1}, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"guard": "yes"}}},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 0}}
	guarded := map[string]string{"guard": "yes"}
	full := func(n1, n2, n3 int32) []bound {
		return []bound{{name: "on-n1", node: "n1", prio: n1, cpu: "2"}, {name: "on-n2", node: "n2", prio: n2, cpu: "2"}, {name: "on-n3", node: "n3", prio: n3, cpu: "2"}}
	}
	for _, tc := range []struct {
		name          string
		pods          []bound
		unschedulable string
		pdbs          []*policyv1.PodDisruptionBudget
		prio          int32
		cpu           string
		never         bool
		nominated     string
		want          string // "node: victims" or the message
	}{
		{name: "lowest highest-victim priority", pods: full(3, 1, 100), prio: 10, cpu: "1", want: "n2: on-n2"},
		{name: "only higher priority pods", pods: full(100, 100, 100), prio: 10, cpu: "1",
			want: "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."},
		{name: "unschedulable node is not helped", pods: full(100, 100, 100), unschedulable: "n2", prio: 10, cpu: "1",
			want: "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."},
		{name: "policy Never", pods: full(0, 0, 0), prio: 10, cpu: "1", never: true,
			want: "preemption: not eligible due to preemptionPolicy=Never."},
		{name: "fewer PDB violations wins over lower priority", pdbs: []*policyv1.PodDisruptionBudget{pdb}, prio: 10, cpu: "1",
			pods: []bound{{name: "guarded", node: "n1", prio: 0, cpu: "2", labels: guarded}, {name: "free", node: "n2", prio: 5, cpu: "2"}, {name: "big", node: "n3", prio: 100, cpu: "2"}},
			want: "n2: free"},
		{name: "minimal victims: the more important pod is reprieved", prio: 10, cpu: "1",
			pods: []bound{{name: "keep", node: "n1", prio: 2, cpu: "1"}, {name: "evict", node: "n1", prio: 1, cpu: "1"}, {name: "x2", node: "n2", prio: 100, cpu: "2"}, {name: "x3", node: "n3", prio: 100, cpu: "2"}},
			want: "n1: evict"},
		{name: "smaller sum of priorities (fewer victims)", prio: 10, cpu: "2",
			pods: []bound{{name: "a", node: "n1", prio: 0, cpu: "1"}, {name: "b", node: "n1", prio: 0, cpu: "1"}, {name: "c", node: "n2", prio: 0, cpu: "2"}, {name: "x3", node: "n3", prio: 100, cpu: "2"}},
			want: "n2: c"},
		{name: "latest start of top victims", prio: 10, cpu: "1",
			pods: []bound{{name: "old", node: "n1", prio: 0, cpu: "2", startSec: 1}, {name: "young", node: "n2", prio: 0, cpu: "2", startSec: 50}, {name: "x3", node: "n3", prio: 100, cpu: "2"}},
			want: "n2: young"},
		{name: "nominated node with terminating victim waits", prio: 10, cpu: "1", nominated: "n1",
			pods: []bound{{name: "going", node: "n1", prio: 0, cpu: "2", deleting: true}, {name: "on-n2", node: "n2", prio: 0, cpu: "2"}, {name: "x3", node: "n3", prio: 100, cpu: "2"}},
			want: "preemption: not eligible due to a terminating pod on the nominated node."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fit, err := noderesources.NewFit(noderesources.DefaultFitArgs())
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			pl := New(Options{Evictor: rec, PDBs: func() ([]*policyv1.PodDisruptionBudget, error) { return tc.pdbs, nil }})
			fw := framework.NewFramework([]framework.PluginEntry{{Plugin: &nodeunschedulable.NodeUnschedulable{}}, {Plugin: fit}, {Plugin: pl}})
			pod := mkPod("preemptor", tc.prio, tc.cpu)
			pod.Status.NominatedNodeName = tc.nominated
			if tc.never {
				pod.Spec.PreemptionPolicy = &never
			}
			_, err = framework.NewAlgorithm(fw, 100, 1).Schedule(context.Background(), pod, snapshotOf(tc.unschedulable, tc.pods))
			var fe *framework.FitError
			if !errors.As(err, &fe) {
				t.Fatalf("want FitError, got %v", err)
			}
			got := fmt.Sprintf("%s: %s", fe.NominatedNode, strings.Join(rec.victims, ","))
			if fe.NominatedNode == "" {
				got = fe.PostFilterMsg + "."
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if fe.NominatedNode != rec.node {
				t.Errorf("evictor saw node %q, FitError %q", rec.node, fe.NominatedNode)
			}
		})
	}
}

// TestPreemptionTakesLowerNominations: as upstream, a preemption on a node
// takes the nomination away from the pods of lower priority nominated to
// that node (they are scheduled again), and only from them; the metrics
// hooks see the attempt and the victims.
func TestPreemptionTakesLowerNominations(t *testing.T) {
	fit, err := noderesources.NewFit(noderesources.DefaultFitArgs())
	if err != nil {
		t.Fatal(err)
	}
	nom := framework.NewNominator()
	for _, n := range []struct {
		name, node string
		prio       int32
	}{{"low", "n2", 5}, {"high", "n2", 50}, {"low-elsewhere", "n1", 1}} {
		nom.Set(mkPod(n.name, n.prio, "0"), n.node)
	}
	rec := &recorder{}
	attempts, victims := 0, -1
	pl := New(Options{Evictor: rec, Nominator: nom, Attempted: func() { attempts++ }, Victims: func(n int) { victims = n }})
	fw := framework.NewFramework([]framework.PluginEntry{{Plugin: fit}, {Plugin: pl}})
	pods := []bound{{name: "on-n1", node: "n1", prio: 3, cpu: "2"}, {name: "on-n2", node: "n2", prio: 1, cpu: "2"}, {name: "on-n3", node: "n3", prio: 100, cpu: "2"}}
	_, err = framework.NewAlgorithm(fw, 100, 1).WithNominator(nom).Schedule(context.Background(), mkPod("preemptor", 10, "1"), snapshotOf("", pods))
	var fe *framework.FitError
	if !errors.As(err, &fe) || fe.NominatedNode != "n2" {
		t.Fatalf("want a nomination to n2, got %v", err)
	}
	if strings.Join(rec.unnominated, ",") != "low" {
		t.Errorf("nominations cleared through the evictor: %v, want [low]", rec.unnominated)
	}
	for name, want := range map[string]string{"low": "", "high": "n2", "low-elsewhere": "n1", "preemptor": "n2"} {
		if got := nom.NominatedNode(types.UID(name)); got != want {
			t.Errorf("%s nominated to %q, want %q", name, got, want)
		}
	}
	if attempts != 1 || victims != 1 {
		t.Errorf("metrics hooks: %d attempts, %d victims; want 1 and 1", attempts, victims)
	}
}
