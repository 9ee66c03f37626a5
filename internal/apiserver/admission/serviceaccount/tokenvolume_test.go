package serviceaccount

import (
	"context"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func TestAdmitMountsToken(t *testing.T) {
	no, yes := false, true
	ctr := func(name string, mounts ...string) corev1.Container {
		c := corev1.Container{Name: name}
		for _, m := range mounts {
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "own", MountPath: m})
		}
		return c
	}
	const vol = "kube-api-access-abcde"
	tokenMount := corev1.VolumeMount{Name: vol, ReadOnly: true, MountPath: TokenMountPath}
	tests := []struct {
		name       string
		saMount    *bool
		spec       corev1.PodSpec
		wantVolume string              // "" when no token volume is added
		wantMounts map[string][]string // container → mount names (init and regular)
	}{
		{name: "every container and init container",
			spec:       corev1.PodSpec{InitContainers: []corev1.Container{ctr("i")}, Containers: []corev1.Container{ctr("a"), ctr("b")}},
			wantVolume: vol, wantMounts: map[string][]string{"i": {vol}, "a": {vol}, "b": {vol}}},
		{name: "pod opts out", spec: corev1.PodSpec{AutomountServiceAccountToken: &no, Containers: []corev1.Container{ctr("a")}},
			wantMounts: map[string][]string{"a": nil}},
		{name: "account opts out", saMount: &no, spec: corev1.PodSpec{Containers: []corev1.Container{ctr("a")}},
			wantMounts: map[string][]string{"a": nil}},
		{name: "pod overrides account", saMount: &no, spec: corev1.PodSpec{AutomountServiceAccountToken: &yes, Containers: []corev1.Container{ctr("a")}},
			wantVolume: vol, wantMounts: map[string][]string{"a": {vol}}},
		{name: "existing mount at the path is kept",
			spec:       corev1.PodSpec{Containers: []corev1.Container{ctr("a", TokenMountPath), ctr("b", "/data")}},
			wantVolume: vol, wantMounts: map[string][]string{"a": {"own"}, "b": {"own", vol}}},
		{name: "all containers mount the path already: no volume",
			spec:       corev1.PodSpec{Containers: []corev1.Container{ctr("a", TokenMountPath)}},
			wantMounts: map[string][]string{"a": {"own"}}},
		{name: "existing kube-api-access volume is reused",
			spec:       corev1.PodSpec{Volumes: []corev1.Volume{{Name: "kube-api-access-zzzzz"}}, Containers: []corev1.Container{ctr("a")}},
			wantMounts: map[string][]string{"a": {"kube-api-access-zzzzz"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := admissiontest.NewLookup()
			lookup.Add(serviceAccounts(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ns"},
				AutomountServiceAccountToken: tt.saMount})
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: *tt.spec.DeepCopy()}
			volumesBefore := len(pod.Spec.Volumes)
			p := &Plugin{Lookup: lookup, NameSuffix: func() string { return "abcde" }}
			if err := p.Admit(context.Background(), admissiontest.PodCreate(pod)); err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
				var names []string
				for _, m := range c.VolumeMounts {
					names = append(names, m.Name)
					if m.Name == tokenMount.Name && !reflect.DeepEqual(m, tokenMount) {
						t.Errorf("container %s mount %+v, want %+v", c.Name, m, tokenMount)
					}
				}
				got[c.Name] = names
			}
			if !reflect.DeepEqual(got, tt.wantMounts) {
				t.Errorf("mounts %v, want %v", got, tt.wantMounts)
			}
			added := pod.Spec.Volumes[volumesBefore:]
			switch {
			case tt.wantVolume == "" && len(added) > 0:
				t.Errorf("added volumes %v, want none", added)
			case tt.wantVolume != "" && (len(added) != 1 || added[0].Name != tt.wantVolume || !reflect.DeepEqual(added[0].Projected, TokenVolumeSource())):
				t.Errorf("added volumes %+v, want %s with the token projection", added, tt.wantVolume)
			}
		})
	}
}

func TestTokenVolumeSourceIsUpstreams(t *testing.T) {
	src := TokenVolumeSource()
	if *src.DefaultMode != 0o644 || len(src.Sources) != 3 {
		t.Fatalf("source %+v", src)
	}
	tok, cm, ns := src.Sources[0].ServiceAccountToken, src.Sources[1].ConfigMap, src.Sources[2].DownwardAPI
	if tok == nil || tok.Path != "token" || *tok.ExpirationSeconds != 3607 || tok.Audience != "" {
		t.Errorf("token projection %+v", tok)
	}
	if cm == nil || cm.Name != "kube-root-ca.crt" || len(cm.Items) != 1 || cm.Items[0] != (corev1.KeyToPath{Key: "ca.crt", Path: "ca.crt"}) {
		t.Errorf("configmap projection %+v", cm)
	}
	if ns == nil || len(ns.Items) != 1 || ns.Items[0].Path != "namespace" || ns.Items[0].FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("downward API projection %+v", ns)
	}
}

func TestRandomSuffix(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		s := randomSuffix()
		if len(s) != 5 || strings.Trim(s, nameChars) != "" {
			t.Fatalf("suffix %q", s)
		}
		seen[s] = true
	}
	if len(seen) < 15 {
		t.Errorf("only %d distinct suffixes of 20", len(seen))
	}
}
