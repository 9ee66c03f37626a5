package apis

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func summary(errs field.ErrorList) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	slices.Sort(out)
	return out
}

func pod(meta metav1.ObjectMeta) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	Default(p)
	return p
}

func TestValidateCreateObjectMeta(t *testing.T) {
	for _, tc := range []struct {
		name       string
		obj        runtime.Object
		namespaced bool
		want       []string
	}{
		{"pod ok", pod(metav1.ObjectMeta{Name: "web-1.a", Namespace: "default"}), true, []string{}},
		{"pod upper case", pod(metav1.ObjectMeta{Name: "Foo", Namespace: "default"}), true, []string{"FieldValueInvalid metadata.name"}},
		{"no name", pod(metav1.ObjectMeta{Namespace: "default"}), true, []string{"FieldValueRequired metadata.name"}},
		{"missing namespace", pod(metav1.ObjectMeta{Name: "p"}), true, []string{"FieldValueRequired metadata.namespace"}},
		{"namespace on cluster kind", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "b"}}, false,
			[]string{"FieldValueForbidden metadata.namespace"}},
		{"namespace with dot", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}, false, []string{"FieldValueInvalid metadata.name"}},
		{"service starting with digit", defaulted(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "1svc", Namespace: "default"},
			Spec: corev1.ServiceSpec{ClusterIP: "None"}}), true, []string{"FieldValueInvalid metadata.name"}},
		{"configmap with dots", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt", Namespace: "default"}}, true, []string{}},
		{"role with colon", &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:controller:foo"}}, false, []string{}},
		{"role with slash", &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "a/b"}}, false, []string{"FieldValueInvalid metadata.name"}},
		{"statefulset with dot", &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "a.b", Namespace: "default"}}, true,
			[]string{"FieldValueInvalid metadata.name", "FieldValueRequired spec.podManagementPolicy", "FieldValueRequired spec.selector",
				"FieldValueRequired spec.template.spec.containers", "FieldValueRequired spec.template.spec.dnsPolicy",
				"FieldValueRequired spec.template.spec.restartPolicy", "FieldValueNotSupported spec.template.spec.restartPolicy",
				"FieldValueRequired spec.updateStrategy"}},
		{"bad label", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d", Labels: map[string]string{"a": "-x"}}}, true,
			[]string{"FieldValueInvalid metadata.labels"}},
		{"huge annotations", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d",
			Annotations: map[string]string{"a": strings.Repeat("x", 256*1024)}}}, true, []string{"FieldValueTooLong metadata.annotations"}},
		{"bad finalizer", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d", Finalizers: []string{"a b"}}}, true,
			[]string{"FieldValueInvalid metadata.finalizers"}},
		{"owner without uid", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p"}}}}, true,
			[]string{"FieldValueRequired metadata.ownerReferences[0].uid"}},
		{"kind without spec rules checks meta only", &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "e.1", Namespace: "d"}}, true, []string{}},
		{"event in its object's namespace", &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e.1", Namespace: "d"},
			InvolvedObject: corev1.ObjectReference{Namespace: "d"}}, true, []string{}},
		{"event for another namespace", &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e.1", Namespace: "d"},
			InvolvedObject: corev1.ObjectReference{Namespace: "e"}}, true, []string{"FieldValueInvalid involvedObject.namespace"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summary(ValidateCreate(tc.obj, tc.namespaced)); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("got %q\nwant %q", got, sorted(tc.want))
			}
		})
	}
}

func defaulted(obj runtime.Object) runtime.Object {
	Default(obj)
	return obj
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestValidateCreateNameMessage(t *testing.T) {
	errs := ValidateCreate(pod(metav1.ObjectMeta{Name: "Foo", Namespace: "default"}), true)
	want := `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of`
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) {
		t.Fatalf("got %v", errs)
	}
}

func TestValidateUpdate(t *testing.T) {
	old := pod(metav1.ObjectMeta{Name: "p", Namespace: "d", UID: "u1", ResourceVersion: "5"})
	for _, tc := range []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []string
	}{
		{"labels only", func(p *corev1.Pod) { p.Labels = map[string]string{"a": "b"} }, []string{}},
		{"rename", func(p *corev1.Pod) { p.Name = "q" }, []string{"FieldValueInvalid metadata.name"}},
		{"uid", func(p *corev1.Pod) { p.UID = "u2" }, []string{"FieldValueInvalid metadata.uid"}},
		{"no resourceVersion", func(p *corev1.Pod) { p.ResourceVersion = "" }, []string{"FieldValueInvalid metadata.resourceVersion"}},
		{"spec change", func(p *corev1.Pod) { p.Spec.Hostname = "h" }, []string{"FieldValueForbidden spec"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := old.DeepCopy()
			tc.mutate(p)
			if got := summary(ValidateUpdate(p, old, true)); !slices.Equal(got, tc.want) {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
	if errs := ValidateUpdate(old, &corev1.ConfigMap{}, true); len(errs) != 1 || errs[0].Type != field.ErrorTypeInternal {
		t.Errorf("type mismatch: %v", errs)
	}
}

func TestDefaultDispatch(t *testing.T) {
	d := &appsv1.Deployment{}
	Default(d)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("deployment not defaulted")
	}
	j := &batchv1.Job{}
	Default(j)
	if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 6 {
		t.Errorf("job not defaulted")
	}
	svc := &corev1.Service{}
	Default(svc)
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("service not defaulted")
	}
	ev := &corev1.Event{}
	Default(ev) // unknown to the defaulter: must not panic or change
	if ev.Type != "" {
		t.Errorf("event changed: %+v", ev)
	}
}
