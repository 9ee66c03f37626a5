package nodelifecycle

import (
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func readyNode(status corev1.ConditionStatus, hb time.Time) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: status, LastHeartbeatTime: metav1.NewTime(hb),
		}}},
	}
}

func lease(renew time.Time) *coordv1.Lease {
	return &coordv1.Lease{Spec: coordv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: renew}}}
}

func TestHealthDecision(t *testing.T) {
	const grace, startup = 40 * time.Second, 60 * time.Second
	noReady := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: metav1.NewTime(t0)}}
	tests := []struct {
		name  string
		steps []struct {
			node  *corev1.Node
			lease *coordv1.Lease
			at    time.Duration
		}
		stale bool
	}{
		{name: "fresh first observation", steps: steps(obs(readyNode("True", t0.Add(-time.Hour)), nil, 0)), stale: false},
		{name: "no heartbeat change for 41s", steps: steps(obs(readyNode("True", t0), nil, 0), obs(readyNode("True", t0), nil, 41*time.Second)), stale: true},
		{name: "exactly the grace period is not stale", steps: steps(obs(readyNode("True", t0), nil, 0), obs(readyNode("True", t0), nil, 40*time.Second)), stale: false},
		{name: "condition heartbeat renewed", steps: steps(obs(readyNode("True", t0), nil, 0), obs(readyNode("True", t0.Add(30*time.Second)), nil, 30*time.Second), obs(readyNode("True", t0.Add(30*time.Second)), nil, 60*time.Second)), stale: false},
		{name: "lease renewed keeps node fresh", steps: steps(obs(readyNode("True", t0), lease(t0), 0), obs(readyNode("True", t0), lease(t0.Add(35*time.Second)), 35*time.Second), obs(readyNode("True", t0), lease(t0.Add(35*time.Second)), 70*time.Second)), stale: false},
		{name: "lease not renewed goes stale", steps: steps(obs(readyNode("True", t0), lease(t0), 0), obs(readyNode("True", t0), lease(t0), 45*time.Second)), stale: true},
		{name: "lease renew time going back does not count", steps: steps(obs(readyNode("True", t0), lease(t0), 0), obs(readyNode("True", t0), lease(t0.Add(-time.Minute)), 41*time.Second)), stale: true},
		{name: "never posted status: startup grace from creation", steps: steps(obs(noReady, nil, 59*time.Second)), stale: false},
		{name: "never posted status past startup grace", steps: steps(obs(noReady, nil, 61*time.Second)), stale: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Probe
			var last *corev1.Node
			var now time.Time
			for _, s := range tt.steps {
				now = t0.Add(s.at)
				p = Observe(p, s.node, s.lease, now)
				last = s.node
			}
			if got := Stale(p, last, now, grace, startup); got != tt.stale {
				t.Errorf("Stale = %v, want %v (probe %+v)", got, tt.stale, p)
			}
		})
	}
}

type step = struct {
	node  *corev1.Node
	lease *coordv1.Lease
	at    time.Duration
}

func obs(n *corev1.Node, l *coordv1.Lease, at time.Duration) step { return step{n, l, at} }
func steps(s ...step) []step                                      { return s }

func TestUnknownConditions(t *testing.T) {
	now := t0.Add(time.Minute)
	n := readyNode("True", t0)
	n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionUnknown, Reason: "Old"})
	conds, changed := UnknownConditions(n, now)
	if !changed {
		t.Fatal("changed = false")
	}
	if n.Status.Conditions[0].Status != corev1.ConditionTrue {
		t.Fatal("input modified")
	}
	byType := map[corev1.NodeConditionType]corev1.NodeCondition{}
	for _, c := range conds {
		byType[c.Type] = c
	}
	want := map[corev1.NodeConditionType]string{
		corev1.NodeReady: ReasonNodeStatusUnknown, corev1.NodeMemoryPressure: "Old",
		corev1.NodeDiskPressure: ReasonNodeStatusNeverUpdated, corev1.NodePIDPressure: ReasonNodeStatusNeverUpdated,
	}
	for typ, reason := range want {
		c := byType[typ]
		if c.Status != corev1.ConditionUnknown || c.Reason != reason {
			t.Errorf("%s = %s/%s, want Unknown/%s", typ, c.Status, c.Reason, reason)
		}
	}
	if byType[corev1.NodeReady].Message != "Kubelet stopped posting node status." || !byType[corev1.NodeReady].LastTransitionTime.Time.Equal(now) {
		t.Errorf("Ready = %+v", byType[corev1.NodeReady])
	}
	n.Status.Conditions = conds
	if _, again := UnknownConditions(n, now.Add(time.Minute)); again {
		t.Error("second pass changed conditions")
	}
}

func TestComputeZoneState(t *testing.T) {
	T, F, U := corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown
	tests := []struct {
		ready []corev1.ConditionStatus
		want  ZoneState
	}{
		{[]corev1.ConditionStatus{T, T}, StateNormal},
		{[]corev1.ConditionStatus{U}, StateFullDisruption},
		{[]corev1.ConditionStatus{U, F, U}, StateFullDisruption},
		{[]corev1.ConditionStatus{T, U, U}, StateNormal},                  // only 2 down
		{[]corev1.ConditionStatus{T, T, U, U, U}, StatePartialDisruption}, // 3/5 = 0.6
		{[]corev1.ConditionStatus{T, T, T, U, U, U}, StateNormal},         // 3/6 = 0.5
		{nil, StateNormal},
	}
	for _, tt := range tests {
		if got := ComputeZoneState(tt.ready, 0.55); got != tt.want {
			t.Errorf("ComputeZoneState(%v) = %s, want %s", tt.ready, got, tt.want)
		}
	}
}

func TestZoneRate(t *testing.T) {
	cfg := DefaultEvictionConfig()
	tests := []struct {
		state ZoneState
		size  int
		want  float64
	}{
		{StateNormal, 3, 0.1},
		{StateFullDisruption, 3, 0.1},
		{StatePartialDisruption, 50, 0},
		{StatePartialDisruption, 51, 0.01},
	}
	for _, tt := range tests {
		if got := ZoneRate(tt.state, tt.size, cfg); got != tt.want {
			t.Errorf("ZoneRate(%s, %d) = %v, want %v", tt.state, tt.size, got, tt.want)
		}
	}
	if !AllFullyDisrupted(map[string]ZoneState{"a": StateFullDisruption, "b": StateFullDisruption}) ||
		AllFullyDisrupted(map[string]ZoneState{"a": StateFullDisruption, "b": StateNormal}) || AllFullyDisrupted(nil) {
		t.Error("AllFullyDisrupted")
	}
}

func TestBucket(t *testing.T) {
	b := newBucket(0.1, t0)
	got := []bool{b.allow(t0), b.allow(t0.Add(5 * time.Second)), b.allow(t0.Add(10 * time.Second)), b.allow(t0.Add(11 * time.Second))}
	want := []bool{true, false, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allow #%d = %v, want %v", i, got[i], want[i])
		}
	}
	b.setRate(0, t0.Add(time.Hour))
	if b.allow(t0.Add(2 * time.Hour)) {
		t.Error("rate 0 allowed")
	}
}

func TestTaints(t *testing.T) {
	n := readyNode(corev1.ConditionUnknown, t0)
	n.Status.Conditions = append(n.Status.Conditions,
		corev1.NodeCondition{Type: corev1.NodeDiskPressure, Status: corev1.ConditionTrue},
		corev1.NodeCondition{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse})
	n.Spec.Unschedulable = true
	want := NoScheduleTaints(n)
	keys := []string{}
	for _, tn := range want {
		keys = append(keys, tn.Key)
	}
	if len(keys) != 3 || keys[0] != corev1.TaintNodeUnreachable || keys[1] != corev1.TaintNodeDiskPressure || keys[2] != corev1.TaintNodeUnschedulable {
		t.Fatalf("NoScheduleTaints = %v", keys)
	}
	foreign := corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	stale := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}
	exec := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
	got, changed := ReconcileTaints([]corev1.Taint{foreign, stale, exec}, want, corev1.TaintEffectNoSchedule, noScheduleKeys(), t0)
	if !changed || len(got) != 5 || got[0].Key != "dedicated" || got[1] != exec {
		t.Fatalf("ReconcileTaints = %+v", got)
	}
	if _, again := ReconcileTaints(got, want, corev1.TaintEffectNoSchedule, noScheduleKeys(), t0); again {
		t.Error("second reconcile changed taints")
	}
	ne, _ := ReconcileTaints(nil, []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}, corev1.TaintEffectNoExecute, noExecuteKeys(), t0)
	if ne[0].TimeAdded == nil || !ne[0].TimeAdded.Time.Equal(t0) {
		t.Errorf("NoExecute taint without timeAdded: %+v", ne[0])
	}
	for status, key := range map[corev1.ConditionStatus]string{"True": "", "False": corev1.TaintNodeNotReady, "Unknown": corev1.TaintNodeUnreachable} {
		if got := NoExecuteKey(status); got != key {
			t.Errorf("NoExecuteKey(%s) = %q, want %q", status, got, key)
		}
	}
}

func TestEvictionFor(t *testing.T) {
	unreach := corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	notReady := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
	sched := corev1.Taint{Key: "x", Effect: corev1.TaintEffectNoSchedule}
	tol := func(key string, secs *int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: secs}
	}
	tests := []struct {
		name   string
		taints []corev1.Taint
		tols   []corev1.Toleration
		want   Eviction
	}{
		{"no taints", nil, nil, Eviction{}},
		{"NoSchedule only", []corev1.Taint{sched}, nil, Eviction{}},
		{"untolerated", []corev1.Taint{unreach}, nil, Eviction{Evict: true}},
		{"tolerated forever", []corev1.Taint{unreach}, []corev1.Toleration{tol(corev1.TaintNodeUnreachable, nil)}, Eviction{}},
		{"tolerated 300s", []corev1.Taint{unreach}, []corev1.Toleration{tol(corev1.TaintNodeUnreachable, ptr.To[int64](300))}, Eviction{Evict: true, After: 300 * time.Second}},
		{"min of two", []corev1.Taint{unreach, notReady}, []corev1.Toleration{tol(corev1.TaintNodeUnreachable, ptr.To[int64](300)), tol(corev1.TaintNodeNotReady, ptr.To[int64](20))}, Eviction{Evict: true, After: 20 * time.Second}},
		{"one of two untolerated", []corev1.Taint{unreach, notReady}, []corev1.Toleration{tol(corev1.TaintNodeUnreachable, nil)}, Eviction{Evict: true}},
		{"zero seconds", []corev1.Taint{unreach}, []corev1.Toleration{tol(corev1.TaintNodeUnreachable, ptr.To[int64](0))}, Eviction{Evict: true}},
		{"wildcard", []corev1.Taint{unreach, notReady}, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, Eviction{}},
		{"wrong effect", []corev1.Taint{unreach}, []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, Eviction{Evict: true}},
	}
	for _, tt := range tests {
		if got := EvictionFor(tt.taints, tt.tols); got != tt.want {
			t.Errorf("%s: EvictionFor = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestZoneKey(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{corev1.LabelTopologyZone: "z1"}}}
	if ZoneKey(n) == ZoneKey(&corev1.Node{}) || ZoneKey(&corev1.Node{}) != "" {
		t.Error("zone key does not separate zones")
	}
}
