package core

import (
	"encoding/json"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MaxDataSize is the largest total size of a ConfigMap's or Secret's data (1 MiB).
const MaxDataSize = 1 * 1024 * 1024

const immutableDataMsg = "field is immutable when `immutable` is set"

// ValidateConfigMap checks key names, that a key is not in both data and
// binaryData, and the total size.
func ValidateConfigMap(cm *v1.ConfigMap) field.ErrorList {
	var allErrs field.ErrorList
	total := 0
	for key, value := range cm.Data {
		allErrs = append(allErrs, validateDataKey(key, field.NewPath("data").Key(key))...)
		total += len(value)
	}
	for key, value := range cm.BinaryData {
		p := field.NewPath("binaryData").Key(key)
		allErrs = append(allErrs, validateDataKey(key, p)...)
		if _, dup := cm.Data[key]; dup {
			allErrs = append(allErrs, field.Invalid(p, key, "duplicate of key present in data"))
		}
		total += len(value)
	}
	if total > MaxDataSize {
		allErrs = append(allErrs, field.TooLong(field.NewPath(""), "", MaxDataSize))
	}
	return allErrs
}

func validateDataKey(key string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsConfigMapKey(key) {
		allErrs = append(allErrs, field.Invalid(fldPath, key, msg))
	}
	return allErrs
}

// ValidateConfigMapUpdate forbids data changes and unsetting immutable on an
// immutable ConfigMap.
func ValidateConfigMapUpdate(cm, old *v1.ConfigMap) field.ErrorList {
	allErrs := ValidateConfigMap(cm)
	if old.Immutable == nil || !*old.Immutable {
		return allErrs
	}
	if cm.Immutable == nil || !*cm.Immutable {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableDataMsg))
	}
	if !equality.Semantic.DeepEqual(cm.Data, old.Data) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableDataMsg))
	}
	if !equality.Semantic.DeepEqual(cm.BinaryData, old.BinaryData) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("binaryData"), immutableDataMsg))
	}
	return allErrs
}

// ValidateSecret checks key names, the total size and the keys each
// well-known secret type requires.
func ValidateSecret(s *v1.Secret) field.ErrorList {
	var allErrs field.ErrorList
	dataPath := field.NewPath("data")
	total := 0
	for key, value := range s.Data {
		allErrs = append(allErrs, validateDataKey(key, dataPath.Key(key))...)
		total += len(value)
	}
	if total > MaxDataSize {
		allErrs = append(allErrs, field.TooLong(dataPath, "", MaxDataSize))
	}
	require := func(keys ...string) {
		for _, k := range keys {
			if _, ok := s.Data[k]; !ok {
				allErrs = append(allErrs, field.Required(dataPath.Key(k), ""))
			}
		}
	}
	switch s.Type {
	case v1.SecretTypeServiceAccountToken:
		if s.Annotations[v1.ServiceAccountNameKey] == "" {
			allErrs = append(allErrs, field.Required(field.NewPath("metadata", "annotations").Key(v1.ServiceAccountNameKey), ""))
		}
	case v1.SecretTypeDockercfg:
		allErrs = append(allErrs, validateDockerConfig(s.Data, v1.DockerConfigKey, dataPath)...)
	case v1.SecretTypeDockerConfigJson:
		allErrs = append(allErrs, validateDockerConfig(s.Data, v1.DockerConfigJsonKey, dataPath)...)
	case v1.SecretTypeBasicAuth:
		_, user := s.Data[v1.BasicAuthUsernameKey]
		_, pass := s.Data[v1.BasicAuthPasswordKey]
		if !user && !pass {
			require(v1.BasicAuthUsernameKey, v1.BasicAuthPasswordKey)
		}
	case v1.SecretTypeSSHAuth:
		require(v1.SSHAuthPrivateKey)
	case v1.SecretTypeTLS:
		require(v1.TLSCertKey, v1.TLSPrivateKeyKey)
	case v1.SecretTypeOpaque, "":
	default:
		for _, msg := range validation.IsQualifiedName(string(s.Type)) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("type"), s.Type, msg))
		}
	}
	return allErrs
}

func validateDockerConfig(data map[string][]byte, key string, dataPath *field.Path) field.ErrorList {
	value, ok := data[key]
	if !ok {
		return field.ErrorList{field.Required(dataPath.Key(key), "")}
	}
	var parsed map[string]any
	if err := json.Unmarshal(value, &parsed); err != nil {
		return field.ErrorList{field.Invalid(dataPath.Key(key), "<secret contents redacted>", err.Error())}
	}
	return nil
}

// ValidateSecretUpdate keeps the type immutable and forbids data changes on
// an immutable Secret.
func ValidateSecretUpdate(s, old *v1.Secret) field.ErrorList {
	allErrs := ValidateSecret(s)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(s.Type, old.Type, field.NewPath("type"))...)
	if old.Immutable == nil || !*old.Immutable {
		return allErrs
	}
	if s.Immutable == nil || !*s.Immutable {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("immutable"), immutableDataMsg))
	}
	if !equality.Semantic.DeepEqual(s.Data, old.Data) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("data"), immutableDataMsg))
	}
	return allErrs
}

// DefaultSecret sets type Opaque when empty and folds the write-only
// stringData into data (stringData wins), as upstream's conversion does:
// stringData is never stored or returned.
func DefaultSecret(s *v1.Secret) {
	if s.Type == "" {
		s.Type = v1.SecretTypeOpaque
	}
	if len(s.StringData) > 0 && s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// ValidateNamespace checks the spec finalizer names.
func ValidateNamespace(ns *v1.Namespace) field.ErrorList {
	var allErrs field.ErrorList
	for i, f := range ns.Spec.Finalizers {
		allErrs = append(allErrs, apimachineryvalidation.ValidateFinalizerName(string(f), field.NewPath("spec", "finalizers").Index(i))...)
	}
	return allErrs
}

// DefaultNamespace sets phase Active, as upstream defaulting does.
func DefaultNamespace(ns *v1.Namespace) {
	if ns.Status.Phase == "" {
		ns.Status.Phase = v1.NamespaceActive
	}
}
