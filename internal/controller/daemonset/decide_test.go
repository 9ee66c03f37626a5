package daemonset

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func node(name string, lbls map[string]string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}, Spec: corev1.NodeSpec{Taints: taints}}
}

func TestEligible(t *testing.T) {
	withDaemon := func(s corev1.PodSpec) *corev1.PodSpec { addDaemonTolerations(&s); return &s }
	affinity := func(op corev1.NodeSelectorOperator, vals ...string) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: op, Values: vals}}}}}}}
	}
	taint := func(k string, e corev1.TaintEffect) corev1.Taint { return corev1.Taint{Key: k, Value: "v", Effect: e} }
	tests := []struct {
		name      string
		node      *corev1.Node
		spec      *corev1.PodSpec
		run, keep bool
	}{
		{"plain node", node("n", nil), withDaemon(corev1.PodSpec{}), true, true},
		{"nodeSelector matches", node("n", map[string]string{"disk": "ssd"}), withDaemon(corev1.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}), true, true},
		{"nodeSelector misses", node("n", nil), withDaemon(corev1.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}), false, false},
		{"affinity In matches", node("n", map[string]string{"zone": "a"}), withDaemon(corev1.PodSpec{Affinity: affinity(corev1.NodeSelectorOpIn, "a", "b")}), true, true},
		{"affinity NotIn excludes", node("n", map[string]string{"zone": "a"}), withDaemon(corev1.PodSpec{Affinity: affinity(corev1.NodeSelectorOpNotIn, "a")}), false, false},
		{"spec.nodeName elsewhere", node("n", nil), withDaemon(corev1.PodSpec{NodeName: "m"}), false, false},
		{"NoSchedule taint: no new pod, keep old", node("n", nil, taint("dedicated", corev1.TaintEffectNoSchedule)), withDaemon(corev1.PodSpec{}), false, true},
		{"NoExecute taint evicts", node("n", nil, taint("dedicated", corev1.TaintEffectNoExecute)), withDaemon(corev1.PodSpec{}), false, false},
		{"PreferNoSchedule ignored", node("n", nil, taint("dedicated", corev1.TaintEffectPreferNoSchedule)), withDaemon(corev1.PodSpec{}), true, true},
		{"tolerated taint", node("n", nil, taint("dedicated", corev1.TaintEffectNoSchedule)),
			withDaemon(corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "v"}}}), true, true},
		{"toleration value differs", node("n", nil, taint("dedicated", corev1.TaintEffectNoSchedule)),
			withDaemon(corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "dedicated", Value: "w"}}}), false, true},
		{"daemon toleration: not-ready", node("n", nil, corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}), withDaemon(corev1.PodSpec{}), true, true},
		{"daemon toleration: unschedulable", node("n", nil, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}), withDaemon(corev1.PodSpec{}), true, true},
		{"daemon toleration: disk-pressure", node("n", nil, corev1.Taint{Key: corev1.TaintNodeDiskPressure, Effect: corev1.TaintEffectNoSchedule}), withDaemon(corev1.PodSpec{}), true, true},
		{"network-unavailable without hostNetwork", node("n", nil, corev1.Taint{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule}), withDaemon(corev1.PodSpec{}), false, true},
		{"network-unavailable with hostNetwork", node("n", nil, corev1.Taint{Key: corev1.TaintNodeNetworkUnavailable, Effect: corev1.TaintEffectNoSchedule}), withDaemon(corev1.PodSpec{HostNetwork: true}), true, true},
		{"tolerate everything", node("n", nil, taint("x", corev1.TaintEffectNoExecute)), &corev1.PodSpec{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}, true, true},
	}
	for _, tt := range tests {
		fit := Eligible(tt.node, tt.spec)
		if fit.ShouldRun != tt.run || fit.ShouldContinueRunning != tt.keep {
			t.Errorf("%s: got run=%v keep=%v (%s), want run=%v keep=%v", tt.name, fit.ShouldRun, fit.ShouldContinueRunning, fit.Reason, tt.run, tt.keep)
		}
	}
}

func TestNodeNameAffinity(t *testing.T) {
	orig := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}}}}}}}
	got := nodeNameAffinity(orig, "n1")
	terms := got.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchExpressions) != 0 || terms[0].MatchFields[0].Key != "metadata.name" || terms[0].MatchFields[0].Values[0] != "n1" {
		t.Errorf("affinity = %+v", terms)
	}
	if len(orig.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions) != 1 {
		t.Error("input affinity was modified")
	}
	if n := targetNode(&corev1.Pod{Spec: corev1.PodSpec{Affinity: got}}); n != "n1" {
		t.Errorf("targetNode = %q", n)
	}
}

func TestBudgets(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(i int32) *intstr.IntOrString { v := intstr.FromInt32(i); return &v }
	tests := []struct {
		name           string
		ru             *appsv1.RollingUpdateDaemonSet
		desired        int
		surge, unavail int
	}{
		{"defaults", nil, 10, 0, 1},
		{"percent rounds up", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: pct("25%")}, 10, 0, 3},
		{"surge percent", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: num(0), MaxSurge: pct("10%")}, 15, 2, 0},
		{"both zero means one unavailable", &appsv1.RollingUpdateDaemonSet{MaxUnavailable: num(0), MaxSurge: num(0)}, 5, 0, 1},
	}
	for _, tt := range tests {
		s, u, err := budgets(tt.ru, tt.desired)
		if err != nil || s != tt.surge || u != tt.unavail {
			t.Errorf("%s: got surge=%d unavailable=%d err=%v, want %d %d", tt.name, s, u, err, tt.surge, tt.unavail)
		}
	}
}

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// dpod is a daemon pod on node at hash; ready since readyFor before now
// (negative: not ready).
func dpod(name, nodeName, hash string, readyFor time.Duration) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name), Labels: map[string]string{revisionLabel: hash}},
		Spec: corev1.PodSpec{NodeName: nodeName}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if readyFor >= 0 {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-readyFor))}}
	}
	return p
}

func eligibleViews(pods map[string][]*corev1.Pod, names ...string) []nodeView {
	var vs []nodeView
	for _, n := range names {
		vs = append(vs, nodeView{Node: node(n, nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: pods[n]})
	}
	return vs
}

func names(ps []*corev1.Pod) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestRolloutStep(t *testing.T) {
	old := func(n string, ready time.Duration) []*corev1.Pod {
		return []*corev1.Pod{dpod("old-"+n, n, "h1", ready)}
	}
	tests := []struct {
		name    string
		r       rollout
		pods    map[string][]*corev1.Pod
		deletes []string
		creates []string
	}{
		{"maxUnavailable 1 deletes one old pod",
			rollout{Hash: "h2", MaxUnavailable: 1},
			map[string][]*corev1.Pod{"a": old("a", time.Hour), "b": old("b", time.Hour), "c": old("c", time.Hour)},
			[]string{"old-a"}, nil},
		{"maxUnavailable 2 deletes two",
			rollout{Hash: "h2", MaxUnavailable: 2},
			map[string][]*corev1.Pod{"a": old("a", time.Hour), "b": old("b", time.Hour), "c": old("c", time.Hour)},
			[]string{"old-a", "old-b"}, nil},
		{"an unready new pod uses the budget",
			rollout{Hash: "h2", MaxUnavailable: 1},
			map[string][]*corev1.Pod{"a": {dpod("new-a", "a", "h2", -1)}, "b": old("b", time.Hour)},
			nil, nil},
		{"unavailable old pods are replaced outside the budget",
			rollout{Hash: "h2", MaxUnavailable: 1},
			map[string][]*corev1.Pod{"a": {dpod("new-a", "a", "h2", -1)}, "b": old("b", -1), "c": old("c", time.Hour)},
			[]string{"old-b"}, nil},
		{"minReadySeconds: a new pod not yet available blocks",
			rollout{Hash: "h2", MaxUnavailable: 1, MinReady: time.Minute},
			map[string][]*corev1.Pod{"a": {dpod("new-a", "a", "h2", time.Second)}, "b": old("b", time.Hour)},
			nil, nil},
		{"surge creates beside old pods within maxSurge",
			rollout{Hash: "h2", MaxSurge: 1},
			map[string][]*corev1.Pod{"a": old("a", time.Hour), "b": old("b", time.Hour)},
			nil, []string{"a"}},
		{"surge deletes old once new is available",
			rollout{Hash: "h2", MaxSurge: 1},
			map[string][]*corev1.Pod{"a": {dpod("new-a", "a", "h2", time.Hour), dpod("old-a", "a", "h1", time.Hour)}, "b": old("b", time.Hour)},
			[]string{"old-a"}, []string{"b"}},
		{"surge in flight blocks more",
			rollout{Hash: "h2", MaxSurge: 1},
			map[string][]*corev1.Pod{"a": {dpod("new-a", "a", "h2", -1), dpod("old-a", "a", "h1", time.Hour)}, "b": old("b", time.Hour)},
			nil, nil},
	}
	for _, tt := range tests {
		tt.r.Now = now
		p := tt.r.Step(eligibleViews(tt.pods, "a", "b", "c"))
		if got := names(p.Delete); !equal(got, tt.deletes) {
			t.Errorf("%s: deletes %v want %v", tt.name, got, tt.deletes)
		}
		if !equal(p.Create, tt.creates) {
			t.Errorf("%s: creates %v want %v", tt.name, p.Create, tt.creates)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestManage(t *testing.T) {
	failed := dpod("failed", "b", "h", -1)
	failed.Status.Phase = corev1.PodFailed
	older := dpod("older", "c", "h", time.Hour)
	newer := dpod("newer", "c", "h", time.Hour)
	newer.CreationTimestamp = metav1.NewTime(now)
	vs := []nodeView{
		{Node: node("a", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}},
		{Node: node("b", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: []*corev1.Pod{failed}},
		{Node: node("c", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: []*corev1.Pod{older, newer}},
		{Node: node("d", nil), Fit: Fit{ShouldContinueRunning: true}, Pods: []*corev1.Pod{dpod("tainted", "d", "h", 0)}},
		{Node: node("e", nil), Fit: Fit{}, Pods: []*corev1.Pod{dpod("evicted", "e", "h", 0)}},
		{Node: node("f", nil), Fit: Fit{}},
	}
	lost := []*corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "unbound-gone"}}, {ObjectMeta: metav1.ObjectMeta{Name: "bound-gone"}, Spec: corev1.PodSpec{NodeName: "z"}}}
	p := manage(vs, lost, false, "h")
	if !equal(p.Create, []string{"a"}) {
		t.Errorf("creates %v", p.Create)
	}
	if got := names(p.Delete); !equal(got, []string{"failed", "newer", "evicted", "unbound-gone"}) {
		t.Errorf("deletes %v", got)
	}
	if got := names(p.Failed); !equal(got, []string{"failed"}) {
		t.Errorf("failed %v", got)
	}
	// with surge, an updated and an old pod may share a node.
	oldPod := dpod("old", "c", "h0", time.Hour)
	vs = []nodeView{{Node: node("c", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: []*corev1.Pod{oldPod, newer}}}
	if p := manage(vs, nil, true, "h"); len(p.Delete) != 0 {
		t.Errorf("surge deletes %v", names(p.Delete))
	}
}

func TestStatus(t *testing.T) {
	vs := []nodeView{
		{Node: node("a", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: []*corev1.Pod{dpod("a", "a", "h2", time.Hour)}},
		{Node: node("b", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}, Pods: []*corev1.Pod{dpod("b", "b", "h1", time.Second)}},
		{Node: node("c", nil), Fit: Fit{ShouldRun: true, ShouldContinueRunning: true}},
		{Node: node("d", nil), Fit: Fit{}, Pods: []*corev1.Pod{dpod("d", "d", "h1", -1)}},
	}
	got := status(vs, "h2", time.Minute, now)
	want := appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 2, NumberMisscheduled: 1,
		NumberReady: 2, NumberAvailable: 1, UpdatedNumberScheduled: 1, NumberUnavailable: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status = %+v\nwant %+v", got, want)
	}
}
