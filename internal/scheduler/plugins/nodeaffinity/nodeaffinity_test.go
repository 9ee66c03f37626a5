package nodeaffinity

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func req(key string, op v1.NodeSelectorOperator, values ...string) v1.NodeSelectorRequirement {
	return v1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func withRequired(terms ...v1.NodeSelectorTerm) *v1.Pod {
	return &v1.Pod{Spec: v1.PodSpec{Affinity: &v1.Affinity{NodeAffinity: &v1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{NodeSelectorTerms: terms},
	}}}}
}

func TestFilter(t *testing.T) {
	node := framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{
		Name:   "n1",
		Labels: map[string]string{"zone": "a", "gpu": "true", "cores": "16"},
	}})
	exprs := func(rs ...v1.NodeSelectorRequirement) v1.NodeSelectorTerm {
		return v1.NodeSelectorTerm{MatchExpressions: rs}
	}
	fields := func(rs ...v1.NodeSelectorRequirement) v1.NodeSelectorTerm {
		return v1.NodeSelectorTerm{MatchFields: rs}
	}
	selector := func(m map[string]string) *v1.Pod { return &v1.Pod{Spec: v1.PodSpec{NodeSelector: m}} }
	for _, tc := range []struct {
		name string
		pod  *v1.Pod
		fits bool
	}{
		{"no constraints", &v1.Pod{}, true},
		{"nodeSelector matches", selector(map[string]string{"zone": "a"}), true},
		{"nodeSelector value differs", selector(map[string]string{"zone": "b"}), false},
		{"nodeSelector key missing", selector(map[string]string{"disk": "ssd"}), false},
		{"In", withRequired(exprs(req("zone", v1.NodeSelectorOpIn, "a", "b"))), true},
		{"In misses", withRequired(exprs(req("zone", v1.NodeSelectorOpIn, "b"))), false},
		{"NotIn", withRequired(exprs(req("zone", v1.NodeSelectorOpNotIn, "b"))), true},
		{"NotIn on missing label", withRequired(exprs(req("disk", v1.NodeSelectorOpNotIn, "ssd"))), true},
		{"NotIn misses", withRequired(exprs(req("zone", v1.NodeSelectorOpNotIn, "a"))), false},
		{"Exists", withRequired(exprs(req("gpu", v1.NodeSelectorOpExists))), true},
		{"DoesNotExist", withRequired(exprs(req("gpu", v1.NodeSelectorOpDoesNotExist))), false},
		{"Gt", withRequired(exprs(req("cores", v1.NodeSelectorOpGt, "8"))), true},
		{"Gt equal", withRequired(exprs(req("cores", v1.NodeSelectorOpGt, "16"))), false},
		{"Lt", withRequired(exprs(req("cores", v1.NodeSelectorOpLt, "32"))), true},
		{"Lt non-numeric label", withRequired(exprs(req("zone", v1.NodeSelectorOpLt, "32"))), false},
		{"terms are ORed", withRequired(exprs(req("zone", v1.NodeSelectorOpIn, "b")), exprs(req("gpu", v1.NodeSelectorOpExists))), true},
		{"expressions are ANDed", withRequired(exprs(req("zone", v1.NodeSelectorOpIn, "a"), req("gpu", v1.NodeSelectorOpDoesNotExist))), false},
		{"empty term matches nothing", withRequired(v1.NodeSelectorTerm{}), false},
		{"no terms match nothing", withRequired(), false},
		{"matchFields name In", withRequired(fields(req("metadata.name", v1.NodeSelectorOpIn, "n1"))), true},
		{"matchFields name NotIn", withRequired(fields(req("metadata.name", v1.NodeSelectorOpNotIn, "n1"))), false},
		{"matchFields other field", withRequired(fields(req("metadata.uid", v1.NodeSelectorOpIn, "n1"))), false},
	} {
		st := (&NodeAffinity{}).Filter(context.Background(), nil, tc.pod, node)
		if st.IsSuccess() != tc.fits {
			t.Errorf("%s: fits %v, want %v", tc.name, st.IsSuccess(), tc.fits)
		}
		if !tc.fits && (st.Message() != ErrReasonPod || st.Code() != framework.UnschedulableAndUnresolvable) {
			t.Errorf("%s: %v %q", tc.name, st.Code(), st.Message())
		}
	}
}

func TestScore(t *testing.T) {
	nodes := []*framework.NodeInfo{
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"zone": "a"}}}),
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"zone": "b", "ssd": "1"}}}),
		framework.NewNodeInfo(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "c"}}),
	}
	pod := &v1.Pod{Spec: v1.PodSpec{Affinity: &v1.Affinity{NodeAffinity: &v1.NodeAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []v1.PreferredSchedulingTerm{
			{Weight: 20, Preference: v1.NodeSelectorTerm{MatchExpressions: []v1.NodeSelectorRequirement{req("zone", v1.NodeSelectorOpIn, "a")}}},
			{Weight: 30, Preference: v1.NodeSelectorTerm{MatchExpressions: []v1.NodeSelectorRequirement{req("zone", v1.NodeSelectorOpIn, "b")}}},
			{Weight: 10, Preference: v1.NodeSelectorTerm{MatchExpressions: []v1.NodeSelectorRequirement{req("ssd", v1.NodeSelectorOpExists)}}},
		},
	}}}}
	pl := &NodeAffinity{}
	state := framework.NewCycleState(nil)
	if st := pl.PreScore(context.Background(), state, &v1.Pod{}, nodes); !st.IsSkip() {
		t.Fatalf("pod without preferences: PreScore %v, want Skip", st.Code())
	}
	if st := pl.PreScore(context.Background(), state, pod, nodes); !st.IsSuccess() {
		t.Fatalf("PreScore: %v", st.Code())
	}
	scores := make([]framework.NodeScore, len(nodes))
	for i, n := range nodes {
		s, _ := pl.Score(context.Background(), state, pod, n)
		scores[i] = framework.NodeScore{Name: n.Name(), Score: s}
	}
	pl.NormalizeScore(context.Background(), state, pod, scores)
	want := []int64{50, 100, 0} // raw 20, 40, 0
	for i, s := range scores {
		if s.Score != want[i] {
			t.Errorf("node %s: score %d, want %d", s.Name, s.Score, want[i])
		}
	}
}
