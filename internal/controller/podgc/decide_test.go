package podgc

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type podOpt func(*corev1.Pod)

func mkPod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + k8stypes.UID(name), CreationTimestamp: metav1.NewTime(t0)}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func age(d time.Duration) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t0.Add(-d)) }
}
func on(node string) podOpt  { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
func reason(r string) podOpt { return func(p *corev1.Pod) { p.Status.Reason = r } }
func terminating() podOpt {
	return func(p *corev1.Pod) { ts := metav1.NewTime(t0); p.DeletionTimestamp = &ts }
}

func names(pods []*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

func TestTerminatedToDelete(t *testing.T) {
	pods := []*corev1.Pod{
		mkPod("running-old", phase(corev1.PodRunning), age(10*time.Hour)),
		mkPod("ok-3h", phase(corev1.PodSucceeded), age(3*time.Hour)),
		mkPod("failed-2h", phase(corev1.PodFailed), age(2*time.Hour)),
		mkPod("evicted-new", phase(corev1.PodFailed), reason("Evicted")),
		mkPod("ok-1h-b", phase(corev1.PodSucceeded), age(time.Hour)),
		mkPod("ok-1h-a", phase(corev1.PodSucceeded), age(time.Hour)),
	}
	tests := []struct {
		threshold int
		want      []string
	}{
		{5, nil},
		{4, []string{"evicted-new"}},
		{2, []string{"evicted-new", "ok-3h", "failed-2h"}},
		{0, nil},
		{-1, nil},
		{1, []string{"evicted-new", "ok-3h", "failed-2h", "ok-1h-a"}},
	}
	for _, tt := range tests {
		if got := names(TerminatedToDelete(pods, tt.threshold)); !slices.Equal(got, tt.want) {
			t.Errorf("threshold %d: %v, want %v", tt.threshold, got, tt.want)
		}
	}
}

func TestOrphansAndTerminating(t *testing.T) {
	pods := []*corev1.Pod{
		mkPod("on-a", on("a")), mkPod("on-gone", on("gone")), mkPod("pending"),
		mkPod("pending-terminating", terminating()), mkPod("oos-terminating", on("oos"), terminating()),
		mkPod("oos-running", on("oos")), mkPod("a-terminating", on("a"), terminating()),
	}
	exists := map[string]bool{"a": true, "oos": true}
	missing := MissingNodes(pods, exists)
	if len(missing) != 1 || !missing["gone"] {
		t.Errorf("MissingNodes = %v", missing)
	}
	if got := names(OnNodes(pods, missing)); !slices.Equal(got, []string{"on-gone"}) {
		t.Errorf("OnNodes = %v", got)
	}
	if got := names(UnscheduledTerminating(pods)); !slices.Equal(got, []string{"pending-terminating"}) {
		t.Errorf("UnscheduledTerminating = %v", got)
	}
	nodes := map[string]*corev1.Node{
		"a": {Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}}},
		"oos": {Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: corev1.TaintNodeOutOfService, Effect: corev1.TaintEffectNoExecute}}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}}},
	}
	if got := names(TerminatingOutOfService(pods, nodes)); !slices.Equal(got, []string{"oos-terminating"}) {
		t.Errorf("TerminatingOutOfService = %v", got)
	}
}

func TestQuarantine(t *testing.T) {
	q := quarantine{}
	const wait = 40 * time.Second
	steps := []struct {
		at      time.Duration
		missing []string
		want    []string
	}{
		{0, []string{"x", "y"}, nil},
		{20 * time.Second, []string{"x", "y", "z"}, nil},
		{30 * time.Second, []string{"x"}, nil}, // y came back
		{40 * time.Second, []string{"x", "y", "z"}, []string{"x"}},
		{60 * time.Second, []string{"x", "y", "z"}, []string{"x"}}, // y, z back at 30s: quarantine restarted at 40s
		{80 * time.Second, []string{"x", "y", "z"}, []string{"x", "y", "z"}},
	}
	for _, s := range steps {
		m := map[string]bool{}
		for _, n := range s.missing {
			m[n] = true
		}
		if got := q.due(m, t0.Add(s.at), wait); !slices.Equal(got, s.want) {
			t.Errorf("at %v: due %v, want %v", s.at, got, s.want)
		}
	}
}
