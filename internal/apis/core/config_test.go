package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestValidateConfigMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		cm   v1.ConfigMap
		want []string
	}{
		{"valid", v1.ConfigMap{Data: map[string]string{"app.conf": "x"}, BinaryData: map[string][]byte{"blob": {1}}}, nil},
		{"bad key", v1.ConfigMap{Data: map[string]string{"a/b": "x"}}, []string{"FieldValueInvalid data[a/b]"}},
		{"key in both", v1.ConfigMap{Data: map[string]string{"k": "x"}, BinaryData: map[string][]byte{"k": {1}}},
			[]string{"FieldValueInvalid binaryData[k]"}},
		{"too big", v1.ConfigMap{Data: map[string]string{"k": strings.Repeat("x", MaxDataSize+1)}}, []string{"FieldValueTooLong []"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateConfigMap(&tc.cm), tc.want...)
		})
	}
}

func TestValidateConfigMapUpdateImmutable(t *testing.T) {
	yes, no := true, false
	old := &v1.ConfigMap{Data: map[string]string{"k": "v"}, Immutable: &yes}
	for _, tc := range []struct {
		name string
		cm   v1.ConfigMap
		want []string
	}{
		{"unchanged", v1.ConfigMap{Data: map[string]string{"k": "v"}, Immutable: &yes}, nil},
		{"data changed", v1.ConfigMap{Data: map[string]string{"k": "w"}, Immutable: &yes}, []string{"FieldValueForbidden data"}},
		{"immutable unset", v1.ConfigMap{Data: map[string]string{"k": "v"}, Immutable: &no}, []string{"FieldValueForbidden immutable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateConfigMapUpdate(&tc.cm, old), tc.want...)
		})
	}
	mutable := &v1.ConfigMap{Data: map[string]string{"k": "v"}}
	fieldtest.ExpectErrors(t, ValidateConfigMapUpdate(&v1.ConfigMap{Data: map[string]string{"k": "w"}}, mutable))
}

func TestValidateSecret(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    v1.Secret
		want []string
	}{
		{"opaque", v1.Secret{Type: v1.SecretTypeOpaque, Data: map[string][]byte{"k": {1}}}, nil},
		{"tls missing key", v1.Secret{Type: v1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": {1}}},
			[]string{"FieldValueRequired data[tls.key]"}},
		{"tls complete", v1.Secret{Type: v1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": {1}, "tls.key": {1}}}, nil},
		{"basic auth empty", v1.Secret{Type: v1.SecretTypeBasicAuth},
			[]string{"FieldValueRequired data[username]", "FieldValueRequired data[password]"}},
		{"docker config not json", v1.Secret{Type: v1.SecretTypeDockerConfigJson, Data: map[string][]byte{".dockerconfigjson": []byte("{")}},
			[]string{"FieldValueInvalid data[.dockerconfigjson]"}},
		{"token without annotation", v1.Secret{Type: v1.SecretTypeServiceAccountToken},
			[]string{"FieldValueRequired metadata.annotations[kubernetes.io/service-account.name]"}},
		{"bad key", v1.Secret{Data: map[string][]byte{"a b": {1}}}, []string{"FieldValueInvalid data[a b]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateSecret(&tc.s), tc.want...)
		})
	}
}

func TestValidateSecretUpdate(t *testing.T) {
	yes := true
	old := &v1.Secret{Type: v1.SecretTypeOpaque, Data: map[string][]byte{"k": {1}}, Immutable: &yes}
	changedType := old.DeepCopy()
	changedType.Type = "example.com/custom"
	fieldtest.ExpectErrors(t, ValidateSecretUpdate(changedType, old), "FieldValueInvalid type")
	changedData := old.DeepCopy()
	changedData.Data["k"] = []byte{2}
	fieldtest.ExpectErrors(t, ValidateSecretUpdate(changedData, old), "FieldValueForbidden data")
}

func TestValidateNode(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec v1.NodeSpec
		want []string
	}{
		{"valid", v1.NodeSpec{PodCIDR: "10.244.0.0/24", PodCIDRs: []string{"10.244.0.0/24"},
			Taints: []v1.Taint{{Key: "dedicated", Value: "gpu", Effect: v1.TaintEffectNoSchedule}}}, nil},
		{"bad cidr", v1.NodeSpec{PodCIDR: "10.244.0.0", PodCIDRs: []string{"10.244.0.0"}}, []string{"FieldValueInvalid spec.podCIDRs[0]"}},
		{"bad effect", v1.NodeSpec{Taints: []v1.Taint{{Key: "k", Effect: "Sometimes"}}}, []string{"FieldValueNotSupported spec.taints[0].effect"}},
		{"missing effect", v1.NodeSpec{Taints: []v1.Taint{{Key: "k"}}}, []string{"FieldValueRequired spec.taints[0].effect"}},
		{"duplicate taint", v1.NodeSpec{Taints: []v1.Taint{{Key: "k", Effect: v1.TaintEffectNoSchedule}, {Key: "k", Value: "x", Effect: v1.TaintEffectNoSchedule}}},
			[]string{"FieldValueDuplicate spec.taints[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateNode(&v1.Node{Spec: tc.spec}), tc.want...)
		})
	}
	old := &v1.Node{Spec: v1.NodeSpec{PodCIDR: "10.244.0.0/24", PodCIDRs: []string{"10.244.0.0/24"}}}
	changed := &v1.Node{Spec: v1.NodeSpec{PodCIDR: "10.244.1.0/24", PodCIDRs: []string{"10.244.1.0/24"}}}
	fieldtest.ExpectErrors(t, ValidateNodeUpdate(changed, old), "FieldValueForbidden spec.podCIDRs")
}

func TestDefaultSecretFoldsStringData(t *testing.T) {
	s := &v1.Secret{Data: map[string][]byte{"a": []byte("old"), "b": []byte("kept")}, StringData: map[string]string{"a": "new", "c": "added"}}
	DefaultSecret(s)
	want := map[string]string{"a": "new", "b": "kept", "c": "added"}
	if len(s.Data) != len(want) || s.StringData != nil || s.Type != v1.SecretTypeOpaque {
		t.Fatalf("after defaulting: data %v stringData %v type %q", s.Data, s.StringData, s.Type)
	}
	for k, v := range want {
		if string(s.Data[k]) != v {
			t.Errorf("data[%s] = %q, want %q", k, s.Data[k], v)
		}
	}
}
