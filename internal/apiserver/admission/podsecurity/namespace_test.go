package podsecurity

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func TestNamespaceEnforceChangeWarns(t *testing.T) {
	pod := func(name string, hostNet bool) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"},
			Spec: corev1.PodSpec{HostNetwork: hostNet, Containers: []corev1.Container{{Name: "c"}}}}
	}
	lookup := admissiontest.NewLookup().Add(pods(), pod("web-b", false), pod("web-a", false), pod("net", true), pod("net2", true), pod("net3", true))
	ns := func(labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps", Labels: labels}}
	}
	tests := []struct {
		name     string
		old, new map[string]string
		want     []string
	}{
		{"to baseline", nil, map[string]string{EnforceLabel: "baseline"}, []string{
			`existing pods in namespace "apps" violate the new PodSecurity enforce level "baseline:latest"`,
			`net (and 2 other pods): host namespaces`,
		}},
		{"to restricted", map[string]string{EnforceLabel: "baseline"}, map[string]string{EnforceLabel: "restricted"}, []string{
			`existing pods in namespace "apps" violate the new PodSecurity enforce level "restricted:latest"`,
			`net (and 2 other pods): allowPrivilegeEscalation != false, host namespaces, runAsNonRoot != true, seccompProfile, unrestricted capabilities`,
			`web-a (and 1 other pod): allowPrivilegeEscalation != false, runAsNonRoot != true, seccompProfile, unrestricted capabilities`,
		}},
		{"unchanged enforce", map[string]string{EnforceLabel: "baseline"}, map[string]string{EnforceLabel: "baseline", "team": "x"}, nil},
		{"to privileged", map[string]string{EnforceLabel: "baseline"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &admission.Attributes{Operation: admission.Update, Resource: namespaces(), Name: "apps", Object: ns(tt.new), OldObject: ns(tt.old)}
			if err := (&Plugin{Lookup: lookup}).Validate(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if got := a.Warnings(); !slices.Equal(got, tt.want) {
				t.Errorf("warnings:\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
