package noderestriction

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

var (
	nodeA = admission.UserInfo{Name: "system:node:a", Groups: []string{"system:nodes", "system:authenticated"}}
	admin = admission.UserInfo{Name: "admin", Groups: []string{"system:masters"}}
)

func gvr(group, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}
}

func attrs(u admission.UserInfo, op admission.Operation, res schema.GroupVersionResource, sub, ns, name string, obj, old runtime.Object) *admission.Attributes {
	return &admission.Attributes{User: u, Operation: op, Resource: res, Subresource: sub, Namespace: ns, Name: name, Object: obj, OldObject: old}
}

func node(name string, labels map[string]string, taints ...corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: labels},
		Spec: corev1.NodeSpec{Taints: taints}}
}

func pod(name, nodeName string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-p-" + name)},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// mirror makes p a mirror pod owned by Node name with uid.
func mirror(name, uid string) func(*corev1.Pod) {
	yes := true
	return func(p *corev1.Pod) {
		p.Annotations = map[string]string{mirrorPodMarker: "hash"}
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: name, UID: types.UID("uid-" + uid), Controller: &yes}}
	}
}

func withLabels(l map[string]string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Labels = l } }

func tokenFor(name, uid string) *authenticationv1.TokenRequest {
	return &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: name, UID: types.UID("uid-p-" + uid)}}}
}

func TestValidate(t *testing.T) {
	pods, nodes, leases := gvr("", "pods"), gvr("", "nodes"), gvr("coordination.k8s.io", "leases")
	lookup := admissiontest.NewLookup().
		Add(pods, pod("mine", "a"), pod("theirs", "b")).
		Add(nodes, node("a", nil), node("b", nil))
	secretVol := func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}}}
	}
	cmEnv := func(p *corev1.Pod) {
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "E", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "k"}}}}
	}
	taint := corev1.Taint{Key: "k", Effect: corev1.TaintEffectNoSchedule}
	for _, tt := range []struct {
		name string
		a    *admission.Attributes
		want string // "" admitted; else the error text
	}{
		{"other users pass", attrs(admin, admission.Update, nodes, "", "", "b", node("b", nil), node("b", nil)), ""},
		{"node without a name", attrs(admission.UserInfo{Name: "system:node:", Groups: []string{"system:nodes"}}, admission.Update, nodes, "", "", "a", node("a", nil), node("a", nil)),
			`nodes "a" is forbidden: could not determine node from user "system:node:"`},
		{"own node create", attrs(nodeA, admission.Create, nodes, "", "", "", node("a", map[string]string{"kubernetes.io/hostname": "a", "kubernetes.io/os": "linux", "node.kubernetes.io/exclude-from-external-load-balancers": "", "example.com/x": "1"}), nil), ""},
		{"other node create", attrs(nodeA, admission.Create, nodes, "", "", "", node("b", nil), nil), `nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"other node update", attrs(nodeA, admission.Update, nodes, "", "", "b", node("b", nil), node("b", nil)), `nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"other node status", attrs(nodeA, admission.Update, nodes, "status", "", "b", node("b", nil), node("b", nil)), `nodes "b" is forbidden: node "a" is not allowed to modify node "b"`},
		{"create with restricted labels", attrs(nodeA, admission.Create, nodes, "", "", "", node("a", map[string]string{"node-role.kubernetes.io/control-plane": "", "node-restriction.kubernetes.io/x": "y", "kubernetes.io/hostname": "a"}), nil),
			`nodes "a" is forbidden: node "a" is not allowed to set the following labels: node-restriction.kubernetes.io/x, node-role.kubernetes.io/control-plane`},
		{"update adds restricted label", attrs(nodeA, admission.Update, nodes, "", "", "a", node("a", map[string]string{"foo.k8s.io/x": "1"}), node("a", nil)),
			`nodes "a" is forbidden: is not allowed to modify labels: foo.k8s.io/x`},
		{"update removes restricted label", attrs(nodeA, admission.Update, nodes, "", "", "a", node("a", nil), node("a", map[string]string{"sub.node-restriction.kubernetes.io/x": "1"})),
			`nodes "a" is forbidden: is not allowed to modify labels: sub.node-restriction.kubernetes.io/x`},
		{"unchanged restricted label", attrs(nodeA, admission.Update, nodes, "", "", "a", node("a", map[string]string{"node-role.kubernetes.io/x": ""}), node("a", map[string]string{"node-role.kubernetes.io/x": ""})), ""},
		{"update allowed labels", attrs(nodeA, admission.Update, nodes, "", "", "a", node("a", map[string]string{"topology.kubernetes.io/zone": "z", "x.kubelet.kubernetes.io/y": "1"}), node("a", nil)), ""},
		{"update taints", attrs(nodeA, admission.Update, nodes, "", "", "a", node("a", nil, taint), node("a", nil)), `nodes "a" is forbidden: node "a" is not allowed to modify taints`},
		{"create with taints", attrs(nodeA, admission.Create, nodes, "", "", "", node("a", nil, taint), nil), ""},
		{"plain pod create", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a"), nil),
			`pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "a" can only create mirror pods`},
		{"mirror pod", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a", mirror("a", "a")), nil), ""},
		{"mirror pod for other node", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "b", mirror("a", "a")), nil),
			`pods "p" is forbidden: node "a" can only create pods with spec.nodeName set to itself`},
		{"mirror pod owned by other node", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a", mirror("b", "b")), nil),
			`pods "p" is forbidden: node "a" can only create pods with an owner reference set to itself`},
		{"mirror pod stale node uid", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a", mirror("a", "old")), nil),
			`pods "p" is forbidden: node a UID mismatch: expected uid-old got uid-a`},
		{"mirror pod with secret", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a", mirror("a", "a"), secretVol), nil),
			`pods "p" is forbidden: node "a" can not create pods that reference secrets`},
		{"mirror pod with configmap env", attrs(nodeA, admission.Create, pods, "", "ns", "", pod("p", "a", mirror("a", "a"), cmEnv), nil),
			`pods "p" is forbidden: node "a" can not create pods that reference configmaps`},
		{"pod update", attrs(nodeA, admission.Update, pods, "", "ns", "mine", pod("mine", "a"), pod("mine", "a")),
			`pods "mine" is forbidden: unexpected operation "UPDATE", node "a" can only create and delete mirror pods`},
		{"delete own pod", attrs(nodeA, admission.Delete, pods, "", "ns", "mine", nil, nil), ""},
		{"delete other pod", attrs(nodeA, admission.Delete, pods, "", "ns", "theirs", nil, nil),
			`pods "theirs" is forbidden: node "a" can only delete pods with spec.nodeName set to itself`},
		{"delete missing pod", attrs(nodeA, admission.Delete, pods, "", "ns", "gone", nil, nil), `pods "gone" not found`},
		{"own pod status", attrs(nodeA, admission.Update, pods, "status", "ns", "mine", pod("mine", "a"), pod("mine", "a")), ""},
		{"other pod status", attrs(nodeA, admission.Update, pods, "status", "ns", "theirs", pod("theirs", "b"), pod("theirs", "b")),
			`pods "theirs" is forbidden: node "a" can only update pod status for pods with spec.nodeName set to itself`},
		{"labels through status", attrs(nodeA, admission.Update, pods, "status", "ns", "mine", pod("mine", "a", withLabels(map[string]string{"x": "y"})), pod("mine", "a")),
			`pods "mine" is forbidden: node "a" cannot update labels through pod status`},
		{"evict own pod", attrs(nodeA, admission.Create, pods, "eviction", "ns", "mine", &policyv1.Eviction{}, nil), ""},
		{"evict other pod", attrs(nodeA, admission.Create, pods, "eviction", "ns", "theirs", &policyv1.Eviction{}, nil),
			`pods "theirs" is forbidden: node a can only evict pods with spec.nodeName set to itself`},
		{"evict by body name", attrs(nodeA, admission.Create, pods, "eviction", "ns", "", &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "theirs"}}, nil),
			`pods "theirs" is forbidden: node a can only evict pods with spec.nodeName set to itself`},
		{"pod exec subresource", attrs(nodeA, admission.Create, pods, "ephemeralcontainers", "ns", "mine", pod("mine", "a"), nil),
			`pods "mine" is forbidden: unexpected pod subresource "ephemeralcontainers", only 'status' and 'eviction' are allowed`},
		{"token for own pod", attrs(nodeA, admission.Create, gvr("", "serviceaccounts"), "token", "ns", "default", tokenFor("mine", "mine"), nil), ""},
		{"token for other pod", attrs(nodeA, admission.Create, gvr("", "serviceaccounts"), "token", "ns", "default", tokenFor("theirs", "theirs"), nil),
			`serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node`},
		{"token unbound", attrs(nodeA, admission.Create, gvr("", "serviceaccounts"), "token", "ns", "default", &authenticationv1.TokenRequest{}, nil),
			`serviceaccounts "default" is forbidden: node requested token not bound to a pod`},
		{"token stale pod uid", attrs(nodeA, admission.Create, gvr("", "serviceaccounts"), "token", "ns", "default", tokenFor("mine", "old"), nil),
			`serviceaccounts "default" is forbidden: the UID in the bound object reference (uid-p-old) does not match the UID in record. The object might have been deleted and then recreated`},
		{"own lease create", attrs(nodeA, admission.Create, leases, "", "kube-node-lease", "", &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, nil), ""},
		{"other lease create", attrs(nodeA, admission.Create, leases, "", "kube-node-lease", "", &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "b"}}, nil),
			`leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node`},
		{"other lease update", attrs(nodeA, admission.Update, leases, "", "kube-node-lease", "b", &coordinationv1.Lease{}, &coordinationv1.Lease{}),
			`leases.coordination.k8s.io "b" is forbidden: can only access node lease with the same name as the requesting node`},
		{"lease elsewhere", attrs(nodeA, admission.Update, leases, "", "kube-system", "a", &coordinationv1.Lease{}, &coordinationv1.Lease{}),
			`leases.coordination.k8s.io "a" is forbidden: can only access leases in the "kube-node-lease" system namespace`},
		{"claim spec", attrs(nodeA, admission.Update, gvr("", "persistentvolumeclaims"), "", "ns", "c", &corev1.PersistentVolumeClaim{}, &corev1.PersistentVolumeClaim{}),
			`persistentvolumeclaims "c" is forbidden: may only update PVC status`},
		{"configmaps untouched", attrs(nodeA, admission.Create, gvr("", "configmaps"), "", "ns", "", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, nil), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Plugin{Lookup: lookup}).Validate(context.Background(), tt.a)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("admitted, want %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Fatalf("error = %q\nwant    %q", err, tt.want)
			case err != nil && !apierrors.IsForbidden(err) && !apierrors.IsNotFound(err):
				t.Fatalf("error %v is neither Forbidden nor NotFound", err)
			}
		})
	}
}

func TestForbiddenChanges(t *testing.T) {
	for _, tt := range []struct {
		labels, old map[string]string
		want        []string
	}{
		{map[string]string{"kubernetes.io/hostname": "a", "beta.kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "x"}, nil, nil},
		{map[string]string{"kubernetes.io/role": "x", "k8s.io/y": "1", "app": "z", "example.com/k": "v"}, nil, []string{"k8s.io/y", "kubernetes.io/role"}},
		{nil, map[string]string{"node-restriction.kubernetes.io/a": "1", "x.kubelet.kubernetes.io/b": "2"}, []string{"node-restriction.kubernetes.io/a"}},
		{map[string]string{"node-role.kubernetes.io/worker": "2"}, map[string]string{"node-role.kubernetes.io/worker": "1"}, []string{"node-role.kubernetes.io/worker"}},
		// kubernetes.io as a suffix only counts at a label boundary.
		{map[string]string{"notkubernetes.io/x": "1"}, nil, nil},
	} {
		got := forbiddenChanges(tt.labels, tt.old)
		if len(got) != len(tt.want) {
			t.Errorf("forbiddenChanges(%v, %v) = %v, want %v", tt.labels, tt.old, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("forbiddenChanges(%v, %v) = %v, want %v", tt.labels, tt.old, got, tt.want)
			}
		}
	}
}
