package kubelet

import (
	"context"
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type fakeEnvSource struct {
	cms     map[string]*v1.ConfigMap
	secrets map[string]*v1.Secret
}

func (f fakeEnvSource) ConfigMap(_ context.Context, _, name string) (*v1.ConfigMap, error) {
	if cm, ok := f.cms[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (f fakeEnvSource) Secret(_ context.Context, _, name string) (*v1.Secret, error) {
	if s, ok := f.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func TestExpandVars(t *testing.T) {
	vars := mapLookup([]envVar{{"A", "x"}, {"B", "y"}})
	tests := map[string]string{
		"$(A)":         "x",
		"$(A)-$(B)":    "x-y",
		"$(C)":         "$(C)",
		"$$(A)":        "$(A)",
		"$$":           "$",
		"a$b":          "a$b",
		"$(A":          "$(A",
		"$()":          "$()",
		"trailing $":   "trailing $",
		"$(A)$(A)$$$$": "xx$$",
	}
	for in, want := range tests {
		if got := expandVars(in, vars); got != want {
			t.Errorf("expandVars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveEnv(t *testing.T) {
	yes := true
	src := fakeEnvSource{
		cms:     map[string]*v1.ConfigMap{"cfg": {Data: map[string]string{"k": "cv", "k2": "cv2", "bad-name": "x"}}},
		secrets: map[string]*v1.Secret{"sec": {Data: map[string][]byte{"pw": []byte("s3cret")}}},
	}
	pod := testPod(v1.RestartPolicyAlways, "a")
	pod.Labels = map[string]string{"app": "web"}
	pod.Annotations = map[string]string{"note": "n"}
	pod.Spec.ServiceAccountName = "sa"
	ec := envContext{PodIPs: []string{"10.0.0.5", "fd00::5"}, HostIPs: []string{"192.0.2.1"}, NodeCPU: resource.MustParse("2"), NodeMemory: resource.MustParse("1Gi")}
	field := func(p string) *v1.EnvVarSource {
		return &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: p}}
	}
	cmKey := func(name, key string, opt bool) *v1.EnvVarSource {
		return &v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: name}, Key: key, Optional: &opt}}
	}
	secKey := func(name, key string, opt bool) *v1.EnvVarSource {
		return &v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: name}, Key: key, Optional: &opt}}
	}
	tests := []struct {
		name    string
		c       v1.Container
		want    []envVar
		wantErr string
	}{
		{name: "values and expansion", c: v1.Container{Env: []v1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "$(A)-$(Z)"}}},
			want: []envVar{{"A", "1"}, {"B", "1-$(Z)"}}},
		{name: "field refs", c: v1.Container{Env: []v1.EnvVar{
			{Name: "N", ValueFrom: field("metadata.name")}, {Name: "NS", ValueFrom: field("metadata.namespace")},
			{Name: "U", ValueFrom: field("metadata.uid")}, {Name: "L", ValueFrom: field("metadata.labels['app']")},
			{Name: "AN", ValueFrom: field("metadata.annotations['note']")}, {Name: "NODE", ValueFrom: field("spec.nodeName")},
			{Name: "SA", ValueFrom: field("spec.serviceAccountName")}, {Name: "IP", ValueFrom: field("status.podIP")},
			{Name: "IPS", ValueFrom: field("status.podIPs")}, {Name: "H", ValueFrom: field("status.hostIP")}}},
			want: []envVar{{"N", "web"}, {"NS", "ns"}, {"U", "uid-1"}, {"L", "web"}, {"AN", "n"}, {"NODE", "node1"},
				{"SA", "sa"}, {"IP", "10.0.0.5"}, {"IPS", "10.0.0.5,fd00::5"}, {"H", "192.0.2.1"}}},
		{name: "resource refs", c: v1.Container{Name: "a",
			Resources: v1.ResourceRequirements{Limits: v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")},
				Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("250m")}},
			Env: []v1.EnvVar{
				{Name: "MEM", ValueFrom: &v1.EnvVarSource{ResourceFieldRef: &v1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
				{Name: "CPU", ValueFrom: &v1.EnvVarSource{ResourceFieldRef: &v1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}}},
				{Name: "CPUL", ValueFrom: &v1.EnvVarSource{ResourceFieldRef: &v1.ResourceFieldSelector{Resource: "limits.cpu"}}}}},
			want: []envVar{{"MEM", "64"}, {"CPU", "250"}, {"CPUL", "2"}}},
		{name: "configmap and secret keys", c: v1.Container{Env: []v1.EnvVar{{Name: "C", ValueFrom: cmKey("cfg", "k", false)}, {Name: "S", ValueFrom: secKey("sec", "pw", false)}}},
			want: []envVar{{"C", "cv"}, {"S", "s3cret"}}},
		{name: "optional missing is skipped", c: v1.Container{Env: []v1.EnvVar{{Name: "C", ValueFrom: cmKey("nope", "k", true)}, {Name: "D", ValueFrom: cmKey("cfg", "zz", true)}, {Name: "S", ValueFrom: secKey("sec", "zz", true)}}},
			want: nil},
		{name: "missing configmap", c: v1.Container{Env: []v1.EnvVar{{Name: "C", ValueFrom: cmKey("nope", "k", false)}}},
			wantErr: `configmap "nope" not found`},
		{name: "missing configmap key", c: v1.Container{Env: []v1.EnvVar{{Name: "C", ValueFrom: cmKey("cfg", "zz", false)}}},
			wantErr: "couldn't find key zz in ConfigMap ns/cfg"},
		{name: "missing secret key", c: v1.Container{Env: []v1.EnvVar{{Name: "S", ValueFrom: secKey("sec", "zz", false)}}},
			wantErr: "couldn't find key zz in Secret ns/sec"},
		{name: "missing secret", c: v1.Container{Env: []v1.EnvVar{{Name: "S", ValueFrom: secKey("gone", "zz", false)}}},
			wantErr: `secret "gone" not found`},
		{name: "envFrom with prefix, optional missing source, env overrides", c: v1.Container{
			EnvFrom: []v1.EnvFromSource{{Prefix: "P_", ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}},
				{SecretRef: &v1.SecretEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "sec"}}},
				{ConfigMapRef: &v1.ConfigMapEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "nope"}, Optional: &yes}}},
			Env: []v1.EnvVar{{Name: "P_k", Value: "over $(pw)"}}},
			want: []envVar{{"P_bad-name", "x"}, {"P_k", "over s3cret"}, {"P_k2", "cv2"}, {"pw", "s3cret"}}},
		{name: "missing envFrom source", c: v1.Container{EnvFrom: []v1.EnvFromSource{{SecretRef: &v1.SecretEnvSource{LocalObjectReference: v1.LocalObjectReference{Name: "gone"}}}}},
			wantErr: `secret "gone" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveEnv(context.Background(), src, pod, &tt.c, ec)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("env = %v, want %v", got, tt.want)
			}
		})
	}
}
