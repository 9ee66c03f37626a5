package replicaset

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestReplicationControllerRoundTrip(t *testing.T) {
	n := int32(2)
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}}}
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "rc", Namespace: "ns", UID: "u", ResourceVersion: "7", Generation: 3},
		Spec:       corev1.ReplicationControllerSpec{Replicas: &n, MinReadySeconds: 5, Selector: map[string]string{"app": "a"}, Template: &tmpl},
		Status: corev1.ReplicationControllerStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 3,
			Conditions: []corev1.ReplicationControllerCondition{{Type: corev1.ReplicationControllerReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: "quota"}}},
	}
	rs := rsFromRC(rc)
	if rs.Spec.Selector.MatchLabels["app"] != "a" || *rs.Spec.Replicas != 2 || rs.Spec.MinReadySeconds != 5 ||
		rs.Status.Conditions[0].Type != appsv1.ReplicaSetReplicaFailure {
		t.Fatalf("view %+v", rs)
	}
	rs.Spec.Template.Labels["app"] = "changed"
	if tmpl.Labels["app"] != "a" {
		t.Fatal("the view must not share the template with the cached object")
	}
	rs.Spec.Template.Labels["app"] = "a"
	if back := rcFromRS(rs); !equality.Semantic.DeepEqual(back, rc) {
		t.Fatalf("round trip:\n%+v\n%+v", back, rc)
	}
	st := rs.Status
	zero := int32(0)
	st.TerminatingReplicas = &zero
	replicationControllers{}.normalize(&st)
	if !equality.Semantic.DeepEqual(st, rs.Status) {
		t.Fatal("normalize must drop what an RC cannot store")
	}
}

func TestAdoptAndReleasePatch(t *testing.T) {
	owner := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", UID: "rs-uid"}}
	gvk := appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	other := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "cm", UID: "cm-uid"}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "pod-uid", ResourceVersion: "9", OwnerReferences: []metav1.OwnerReference{other}}}
	b, err := AdoptPatch(owner, gvk, pod)
	if err != nil {
		t.Fatal(err)
	}
	var got refsPatch
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	m := got.Metadata
	if m.UID != "pod-uid" || m.ResourceVersion != "9" || len(m.OwnerReferences) != 2 || m.OwnerReferences[0] != other {
		t.Fatalf("adopt patch %s", b)
	}
	ref := m.OwnerReferences[1]
	if ref.UID != "rs-uid" || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" || !*ref.Controller || !*ref.BlockOwnerDeletion {
		t.Fatalf("controller ref %+v", ref)
	}
	pod.OwnerReferences = m.OwnerReferences
	b, err = ReleasePatch(owner, pod)
	if err != nil {
		t.Fatal(err)
	}
	got = refsPatch{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Metadata.OwnerReferences) != 1 || got.Metadata.OwnerReferences[0] != other {
		t.Fatalf("release patch %s", b)
	}
}
