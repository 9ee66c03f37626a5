package statefulset

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func set(replicas int32, mutate ...func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "set-uid"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "svc",
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "img"}}}},
			PodManagementPolicy: appsv1.OrderedReadyPodManagement,
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)}},
		},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

// pod states used in the tables.
const (
	ready   = "ready"   // Running and Ready
	pending = "pending" // exists, not ready
	failed  = "failed"
	gone    = "gone" // terminating
)

// spod is pod ordinal of set in state at revision rev.
func spod(s *appsv1.StatefulSet, ord int, state, rev string) *corev1.Pod {
	p := newPod(s, &s.Spec.Template, rev, ord)
	p.UID = types.UID(p.Name)
	switch state {
	case ready:
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}
	case pending:
		p.Status.Phase = corev1.PodPending
	case failed:
		p.Status.Phase = corev1.PodFailed
	case gone:
		p.Status.Phase = corev1.PodRunning
		p.DeletionTimestamp = &metav1.Time{Time: now}
	}
	return p
}

// render writes a plan as "create web-1@r2, delete web-3" for tables.
func render(steps []Step) string {
	var out []string
	for _, s := range steps {
		switch s.Op {
		case OpCreate:
			out = append(out, fmt.Sprintf("create web-%d@%s", s.Ordinal, s.Revision))
		default:
			out = append(out, fmt.Sprintf("%s %s", s.Op, s.Pod.Name))
		}
	}
	return strings.Join(out, ", ")
}

func TestPlanOrderedCreation(t *testing.T) {
	s := set(3)
	tests := []struct {
		name string
		pods []string // state of web-0, web-1, ...; "" = missing
		want string
	}{
		{"empty: create the first only", nil, "create web-0@r1"},
		{"first pending: wait", []string{pending}, ""},
		{"first ready: create the second", []string{ready}, "create web-1@r1"},
		{"second pending: wait", []string{ready, pending}, ""},
		{"both ready: create the third", []string{ready, ready}, "create web-2@r1"},
		{"all ready: nothing", []string{ready, ready, ready}, ""},
		{"a hole is filled first", []string{ready, "", ready}, "create web-1@r1"},
		{"failed pod is deleted", []string{ready, failed, ready}, "recreate web-1"},
		{"terminating pod: wait", []string{ready, gone}, ""},
	}
	for _, tt := range tests {
		var pods []*corev1.Pod
		for i, st := range tt.pods {
			if st != "" {
				pods = append(pods, spod(s, i, st, "r1"))
			}
		}
		got := render(Plan(Snapshot{Set: s, Pods: pods, CurrentRevision: "r1", UpdateRevision: "r1", Now: now}))
		if got != tt.want {
			t.Errorf("%s: plan %q want %q", tt.name, got, tt.want)
		}
	}
}

func TestPlanParallelAndScaleDown(t *testing.T) {
	parallel := func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement }
	tests := []struct {
		name string
		set  *appsv1.StatefulSet
		pods []string
		want string
	}{
		{"parallel creates all", set(3, parallel), nil, "create web-0@r1, create web-1@r1, create web-2@r1"},
		{"parallel does not wait", set(3, parallel), []string{pending}, "create web-1@r1, create web-2@r1"},
		{"scale down from the highest, one at a time", set(1), []string{ready, ready, ready}, "delete web-2"},
		{"scale down waits for termination", set(1), []string{ready, ready, gone}, ""},
		{"scale down waits for healthy replicas", set(2), []string{ready, pending, ready}, ""},
		{"parallel scale down deletes all", set(1, parallel), []string{ready, ready, ready}, "delete web-2, delete web-1"},
		{"start ordinal", set(2, func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 1} }), []string{ready, ready, ready}, "delete web-0"},
	}
	for _, tt := range tests {
		var pods []*corev1.Pod
		for i, st := range tt.pods {
			if st != "" {
				pods = append(pods, spod(tt.set, i, st, "r1"))
			}
		}
		got := render(Plan(Snapshot{Set: tt.set, Pods: pods, CurrentRevision: "r1", UpdateRevision: "r1", Now: now}))
		if got != tt.want {
			t.Errorf("%s: plan %q want %q", tt.name, got, tt.want)
		}
	}
}

func TestPlanRollingUpdate(t *testing.T) {
	partition := func(p int32) func(*appsv1.StatefulSet) {
		return func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(p) }
	}
	maxUnavail := func(v intstr.IntOrString) func(*appsv1.StatefulSet) {
		return func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &v }
	}
	onDelete := func(s *appsv1.StatefulSet) {
		s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	}
	type p struct{ state, rev string }
	tests := []struct {
		name string
		set  *appsv1.StatefulSet
		pods []p
		want string
	}{
		{"highest ordinal first", set(3), []p{{ready, "r1"}, {ready, "r1"}, {ready, "r1"}}, "delete web-2"},
		{"then the next once updated and ready", set(3), []p{{ready, "r1"}, {ready, "r1"}, {ready, "r2"}}, "delete web-1"},
		{"deleted pod comes back at the update revision", set(3), []p{{ready, "r1"}, {ready, "r1"}}, "create web-2@r2"},
		{"partition stops the update", set(3, partition(2)), []p{{ready, "r1"}, {ready, "r1"}, {ready, "r2"}}, ""},
		{"below the partition pods are created at the current revision", set(3, partition(2)), []p{{ready, "r1"}}, "create web-1@r1"},
		{"maxUnavailable 2", set(4, maxUnavail(intstr.FromInt32(2))), []p{{ready, "r1"}, {ready, "r1"}, {ready, "r1"}, {ready, "r1"}}, "delete web-3, delete web-2"},
		{"maxUnavailable 50% of 4", set(4, maxUnavail(intstr.FromString("50%"))), []p{{ready, "r1"}, {ready, "r1"}, {ready, "r1"}, {ready, "r1"}}, "delete web-3, delete web-2"},
		{"OnDelete never deletes", set(2, onDelete), []p{{ready, "r1"}, {ready, "r1"}}, ""},
		{"OnDelete recreates at the update revision", set(2, onDelete), []p{{ready, "r1"}}, "create web-1@r2"},
	}
	for _, tt := range tests {
		var pods []*corev1.Pod
		for i, x := range tt.pods {
			pods = append(pods, spod(tt.set, i, x.state, x.rev))
		}
		got := render(Plan(Snapshot{Set: tt.set, Pods: pods, CurrentRevision: "r1", UpdateRevision: "r2", Now: now}))
		if got != tt.want {
			t.Errorf("%s: plan %q want %q", tt.name, got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	s := set(3, func(s *appsv1.StatefulSet) { s.Spec.MinReadySeconds = 7200 })
	pods := []*corev1.Pod{spod(s, 0, ready, "r1"), spod(s, 1, ready, "r2"), spod(s, 2, pending, "r2")}
	got := Status(Snapshot{Set: s, Pods: pods, CurrentRevision: "r1", UpdateRevision: "r2", Now: now})
	want := appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 0, CurrentReplicas: 1, UpdatedReplicas: 2, CurrentRevision: "r1", UpdateRevision: "r2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("status %+v\nwant %+v", got, want)
	}
	// a finished rolling update makes the update revision current.
	pods = []*corev1.Pod{spod(s, 0, ready, "r2"), spod(s, 1, ready, "r2"), spod(s, 2, ready, "r2")}
	got = Status(Snapshot{Set: s, Pods: pods, CurrentRevision: "r1", UpdateRevision: "r2", Now: now})
	if got.CurrentRevision != "r2" || got.CurrentReplicas != 3 || got.UpdatedReplicas != 3 {
		t.Errorf("finished update status %+v", got)
	}
}

func TestIdentity(t *testing.T) {
	s := set(2, func(s *appsv1.StatefulSet) {
		s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "www"}}}
		s.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	})
	p := newPod(s, &s.Spec.Template, "web-abc", 1)
	if p.Name != "web-1" || p.Spec.Hostname != "web-1" || p.Spec.Subdomain != "svc" ||
		p.Labels[podNameLabel] != "web-1" || p.Labels[podIndexLabel] != "1" || p.Labels[revisionLabel] != "web-abc" {
		t.Errorf("identity wrong: %+v %+v", p.ObjectMeta, p.Spec)
	}
	if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].PersistentVolumeClaim == nil || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-1" {
		t.Errorf("volumes %+v", p.Spec.Volumes)
	}
	if !metav1.IsControlledBy(p, s) {
		t.Error("pod not controlled by the set")
	}
	for name, want := range map[string]int{"web-0": 0, "web-12": 12, "web-01": -1, "web-": -1, "webx-1": -1, "web-a": -1} {
		ord, ok := ordinalOf(s, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if (want < 0 && ok) || (want >= 0 && (!ok || ord != want)) {
			t.Errorf("ordinalOf(%s) = %d %v", name, ord, ok)
		}
	}
}

func TestClaimOwners(t *testing.T) {
	policy := func(deleted, scaled appsv1.PersistentVolumeClaimRetentionPolicyType) *appsv1.StatefulSet {
		return set(1, func(s *appsv1.StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: deleted, WhenScaled: scaled}
		})
	}
	const R, D = appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", UID: "pod-uid"}}
	other := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "other"}
	foreign := metav1.OwnerReference{APIVersion: "x/v1", Kind: "Thing", Name: "t", UID: "thing", Controller: ptr.To(true)}
	tests := []struct {
		name       string
		set        *appsv1.StatefulSet
		refs       []metav1.OwnerReference
		scaledDown bool
		want       []types.UID
	}{
		{"retain/retain: none", policy(R, R), nil, false, nil},
		{"delete on set deletion", policy(D, R), nil, false, []types.UID{"set-uid"}},
		{"scaled down with whenScaled=Delete: the pod", policy(R, D), nil, true, []types.UID{"pod-uid"}},
		{"not scaled down with whenScaled=Delete: none", policy(R, D), nil, false, nil},
		{"delete/delete scaled down: pod replaces set", policy(D, D), []metav1.OwnerReference{*metav1.NewControllerRef(set(1), controllerKind())}, true, []types.UID{"pod-uid"}},
		{"other references are kept", policy(R, R), []metav1.OwnerReference{other}, false, []types.UID{"other"}},
		{"claim controlled by someone else is left", policy(D, D), []metav1.OwnerReference{foreign}, false, []types.UID{"thing"}},
	}
	for _, tt := range tests {
		got, _ := claimOwners(tt.set, 0, pod, tt.refs, tt.scaledDown)
		var uids []types.UID
		for _, r := range got {
			uids = append(uids, r.UID)
		}
		if !reflect.DeepEqual(uids, tt.want) {
			t.Errorf("%s: owners %v want %v", tt.name, uids, tt.want)
		}
	}
	if _, changed := claimOwners(policy(R, R), 0, pod, nil, false); changed {
		t.Error("no-op reported as a change")
	}
}
