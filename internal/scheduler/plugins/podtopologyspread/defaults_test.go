package podtopologyspread

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// fakeWorkloads is an in-memory Workloads.
type fakeWorkloads struct {
	services []*v1.Service
	rcs      map[string]*v1.ReplicationController
	rss      map[string]*appsv1.ReplicaSet
	sss      map[string]*appsv1.StatefulSet
}

func (f *fakeWorkloads) Services(ns string) []*v1.Service {
	var out []*v1.Service
	for _, s := range f.services {
		if s.Namespace == ns {
			out = append(out, s)
		}
	}
	return out
}
func (f *fakeWorkloads) ReplicationController(_, name string) *v1.ReplicationController {
	return f.rcs[name]
}
func (f *fakeWorkloads) ReplicaSet(_, name string) *appsv1.ReplicaSet   { return f.rss[name] }
func (f *fakeWorkloads) StatefulSet(_, name string) *appsv1.StatefulSet { return f.sss[name] }

func svc(ns string, sel map[string]string) *v1.Service {
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: ns}, Spec: v1.ServiceSpec{Selector: sel}}
}

func owned(labels map[string]string, apiVersion, kind, name string) *v1.Pod {
	yes := true
	return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, Controller: &yes}}}}
}

func TestDefaultSelector(t *testing.T) {
	w := &fakeWorkloads{
		services: []*v1.Service{
			svc("default", map[string]string{"app": "web"}),
			svc("default", map[string]string{"tier": "front"}),
			svc("default", nil), // selects nothing
			svc("other", map[string]string{"app": "web", "x": "y"}),
		},
		rcs: map[string]*v1.ReplicationController{"rc": {Spec: v1.ReplicationControllerSpec{Selector: map[string]string{"rc": "1"}}}},
		rss: map[string]*appsv1.ReplicaSet{"rs": {Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "pod-template-hash", Operator: metav1.LabelSelectorOpIn, Values: []string{"abc"}}}}}}},
		sss: map[string]*appsv1.StatefulSet{"ss": {Spec: appsv1.StatefulSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"ss": "db"}}}}},
	}
	for _, tc := range []struct {
		name string
		w    Workloads
		pod  *v1.Pod
		want string
	}{
		{"no workloads", nil, owned(map[string]string{"app": "web"}, "apps/v1", "ReplicaSet", "rs"), ""},
		{"nothing selects", w, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Labels: map[string]string{"app": "db"}}}, ""},
		{"services merge, other namespace ignored", w,
			&v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Labels: map[string]string{"app": "web", "tier": "front"}}}, "app=web,tier=front"},
		{"replica set adds its requirements", w, owned(map[string]string{"app": "web"}, "apps/v1", "ReplicaSet", "rs"), "app=web,pod-template-hash in (abc)"},
		{"stateful set", w, owned(nil, "apps/v1", "StatefulSet", "ss"), "ss=db"},
		{"replication controller", w, owned(map[string]string{"app": "web"}, "v1", "ReplicationController", "rc"), "app=web,rc=1"},
		{"unknown owner kind", w, owned(map[string]string{"app": "web"}, "batch/v1", "Job", "j"), "app=web"},
		{"owner not found", w, owned(nil, "apps/v1", "ReplicaSet", "gone"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultSelector(tc.pod, tc.w).String(); got != tc.want {
				t.Errorf("selector %q, want %q", got, tc.want)
			}
		})
	}
}

func TestArgsValidate(t *testing.T) {
	c := func(key string, skew int32, when v1.UnsatisfiableConstraintAction) v1.TopologySpreadConstraint {
		return v1.TopologySpreadConstraint{TopologyKey: key, MaxSkew: skew, WhenUnsatisfiable: when}
	}
	withSel := c(zone, 1, v1.DoNotSchedule)
	withSel.LabelSelector = &metav1.LabelSelector{}
	for _, tc := range []struct {
		name string
		args Args
		want string
	}{
		{"zero is System", Args{}, ""},
		{"list", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c(zone, 1, v1.DoNotSchedule), c(zone, 2, v1.ScheduleAnyway)}}, ""},
		{"system with constraints", Args{DefaultingType: SystemDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c(zone, 1, v1.DoNotSchedule)}}, "must be empty"},
		{"unknown type", Args{DefaultingType: "Auto"}, `unsupported value "Auto"`},
		{"skew", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c(zone, 0, v1.DoNotSchedule)}}, "maxSkew: 0"},
		{"key", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c("", 1, v1.DoNotSchedule)}}, "topologyKey"},
		{"action", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c(zone, 1, "Maybe")}}, "whenUnsatisfiable"},
		{"selector", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{withSel}}, "must not define a selector"},
		{"duplicate", Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{c(zone, 1, v1.DoNotSchedule), c(zone, 3, v1.DoNotSchedule)}}, "duplicate"},
	} {
		err := tc.args.Validate()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestDefaultConstraintsScore: a pod without constraints that a Service
// selects is scored by the defaults. Under System defaulting a node
// without the zone label still scores on its hostname; under List
// defaulting it is ignored (score 0). A pod with its own constraints is
// not defaulted.
func TestDefaultConstraintsScore(t *testing.T) {
	nodes := []*v1.Node{node("a1", "a"), node("a2", "a"), node("b1", "b"), node("nozone", "")}
	w := &fakeWorkloads{services: []*v1.Service{svc("default", web)}}
	list := Args{DefaultingType: ListDefaulting, DefaultConstraints: SystemDefaultConstraints()}
	own := incoming(spread(zone, 1, v1.ScheduleAnyway))
	own.Spec.TopologySpreadConstraints[0].LabelSelector.MatchLabels = map[string]string{"app": "nothing"}
	for _, tc := range []struct {
		name string
		args Args
		w    Workloads
		pod  *v1.Pod
		want map[string]int64 // nil: Skip
	}{
		// Raw: hostname weight ln(4+2), zone ln(3+2) (domains a, b and the
		// unlabelled node's ""): a1 2·1.79+2 + 2·1.61+4 = 13, a2 9, b1 6,
		// nozone only its hostname term 2; normalized 100·(15-s)/13.
		{"system", Args{}, w, incoming(), map[string]int64{"a1": 15, "a2": 46, "b1": 69, "nozone": 100}},
		{"list requires every key", list, w, incoming(), map[string]int64{"a1": 50, "a2": 75, "b1": 100, "nozone": 0}},
		{"no service: no defaults", Args{}, &fakeWorkloads{}, incoming(), nil},
		{"own constraints win", Args{}, w, own, map[string]int64{"a1": 100, "a2": 100, "b1": 100, "nozone": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := New(tc.args, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			snap := snapshot(nodes, map[string]int{"a1": 2})
			state := framework.NewCycleState(snap)
			st := pl.PreScore(context.Background(), state, tc.pod, snap.Nodes)
			if tc.want == nil {
				if !st.IsSkip() {
					t.Fatalf("prescore %v, want Skip", st.Code())
				}
				return
			}
			if !st.IsSuccess() {
				t.Fatalf("prescore: %v", st.Code())
			}
			var scores []framework.NodeScore
			for _, n := range snap.Nodes {
				s, _ := pl.Score(context.Background(), state, tc.pod, n)
				scores = append(scores, framework.NodeScore{Name: n.Name(), Score: s})
			}
			pl.NormalizeScore(context.Background(), state, tc.pod, scores)
			for _, s := range scores {
				if s.Score != tc.want[s.Name] {
					t.Errorf("%s: got %d, want %d", s.Name, s.Score, tc.want[s.Name])
				}
			}
		})
	}
}

// TestListDefaultFilter: DoNotSchedule defaults filter like the pod's own.
func TestListDefaultFilter(t *testing.T) {
	pl, err := New(Args{DefaultingType: ListDefaulting, DefaultConstraints: []v1.TopologySpreadConstraint{
		{TopologyKey: zone, MaxSkew: 1, WhenUnsatisfiable: v1.DoNotSchedule}}}, &fakeWorkloads{services: []*v1.Service{svc("default", web)}})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot([]*v1.Node{node("a1", "a"), node("b1", "b")}, map[string]int{"a1": 1})
	state := framework.NewCycleState(snap)
	if st := pl.PreFilter(context.Background(), state, incoming(), snap); !st.IsSuccess() {
		t.Fatalf("prefilter: %v", st.Code())
	}
	got := map[string]bool{}
	for _, n := range snap.Nodes {
		got[n.Name()] = pl.Filter(context.Background(), state, incoming(), n).IsSuccess()
	}
	if !got["b1"] || got["a1"] {
		t.Errorf("fits %v, want only b1", got)
	}
}
