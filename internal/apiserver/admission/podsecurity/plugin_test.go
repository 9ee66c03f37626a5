package podsecurity

import (
	"context"
	"maps"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func TestValidate(t *testing.T) {
	ns := func(name string, labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	lookup := admissiontest.NewLookup().Add(namespaces(),
		ns("open", nil),
		ns("locked", map[string]string{EnforceLabel: "restricted"}),
		ns("warned", map[string]string{EnforceLabel: "baseline", WarnLabel: "restricted", WarnLabel + "-version": "v1.30"}))
	privileged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "c", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}}
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	deploy := func(spec corev1.PodSpec) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
	}
	deployments := appsv1.SchemeGroupVersion.WithResource("deployments")
	const restrictedDetail = `allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
		`runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
		`seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	tests := []struct {
		name     string
		ns       string
		op       admission.Operation
		resource string
		obj, old runtime.Object
		wantErr  string
		wantWarn string
	}{
		{"open namespace admits privileged", "open", admission.Create, "pods", privileged, nil, "", ""},
		{"missing namespace left to the server", "gone", admission.Create, "pods", privileged, nil, "", ""},
		{"restricted refuses plain pod", "locked", admission.Create, "pods", plain, nil,
			`pods "p" is forbidden: violates PodSecurity "restricted:latest": ` + restrictedDetail, ""},
		{"pod label updates not evaluated", "locked", admission.Update, "pods", plain, plain, "", ""},
		{"pod image update evaluated", "locked", admission.Update, "pods", plain, withImage(plain, "old"),
			`pods "p" is forbidden: violates PodSecurity "restricted:latest": ` + restrictedDetail, ""},
		{"warn mode warns", "warned", admission.Create, "pods", plain, nil, "", `would violate PodSecurity "restricted:v1.30": ` + restrictedDetail},
		{"baseline enforce refuses privileged", "warned", admission.Create, "pods", privileged, nil,
			`pods "p" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)`, ""},
		{"deployment only warned", "locked", admission.Create, "deployments", deploy(plain.Spec), nil, "",
			`would violate PodSecurity "restricted:latest": ` + restrictedDetail},
		{"deployment update without template change", "locked", admission.Update, "deployments", deploy(plain.Spec), deploy(plain.Spec), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gvr := corev1.SchemeGroupVersion.WithResource(tt.resource)
			if tt.resource == "deployments" {
				gvr = deployments
			}
			a := &admission.Attributes{Operation: tt.op, Resource: gvr, Namespace: tt.ns, Name: "p", Object: tt.obj.DeepCopyObject(), OldObject: tt.old}
			if tt.resource == "deployments" {
				a.Name = "d"
			}
			err := (&Plugin{Lookup: lookup}).Validate(context.Background(), a)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("err = %s\nwant  %s", got, tt.wantErr)
			}
			if err != nil && !apierrors.IsForbidden(err) {
				t.Errorf("%v is not a 403", err)
			}
			var warn string
			if w := a.Warnings(); len(w) == 1 {
				warn = w[0]
			} else if len(w) > 1 {
				t.Errorf("warnings = %q", w)
			}
			if warn != tt.wantWarn {
				t.Errorf("warning = %s\nwant      %s", warn, tt.wantWarn)
			}
		})
	}
}

func TestNamespaceLabelsValidated(t *testing.T) {
	a := &admission.Attributes{Operation: admission.Create, Resource: namespaces(), Name: "x",
		Object: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{EnforceLabel: "strict"}}}}
	err := (&Plugin{Lookup: admissiontest.NewLookup()}).Validate(context.Background(), a)
	want := `Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Fatalf("err = %v\nwant 422 %s", err, want)
	}
}

func withImage(p *corev1.Pod, image string) *corev1.Pod {
	p = p.DeepCopy()
	p.Spec.Containers[0].Image = image
	return p
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAuditAnnotations(t *testing.T) {
	lookup := admissiontest.NewLookup().Add(namespaces(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "audited", Labels: map[string]string{AuditLabel: "baseline"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "open"}})
	privileged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "c", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}}}
	for _, tc := range []struct {
		ns   string
		want map[string]string
	}{
		{"audited", map[string]string{
			"pod-security.kubernetes.io/enforce-policy":   "privileged:latest",
			"pod-security.kubernetes.io/audit-violations": `would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)`,
		}},
		{"open", map[string]string{"pod-security.kubernetes.io/enforce-policy": "privileged:latest"}},
	} {
		a := &admission.Attributes{Operation: admission.Create, Resource: corev1.SchemeGroupVersion.WithResource("pods"),
			Namespace: tc.ns, Name: "p", Object: privileged}
		if err := (&Plugin{Lookup: lookup}).Validate(context.Background(), a); err != nil {
			t.Fatalf("%s: %v", tc.ns, err)
		}
		if got := a.Annotations(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: annotations %v, want %v", tc.ns, got, tc.want)
		}
	}
}
