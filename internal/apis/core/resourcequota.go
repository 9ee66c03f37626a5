package core

import (
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	isInvalidQuotaResource = "must be a standard resource for quota"
	isNotIntegerErrorMsg   = "must be an integer"
	notStandardOrQualified = "must be a standard resource type or fully qualified"
)

// isStandardQuotaResourceName lists the unprefixed names a quota may limit.
func isStandardQuotaResourceName(name v1.ResourceName) bool {
	switch name {
	case v1.ResourcePods, v1.ResourceServices, v1.ResourceReplicationControllers, v1.ResourceQuotas,
		v1.ResourceSecrets, v1.ResourceConfigMaps, v1.ResourcePersistentVolumeClaims,
		v1.ResourceServicesNodePorts, v1.ResourceServicesLoadBalancers, v1.ResourceStorage:
		return true
	}
	return isQuotaComputeResource(name) || name == v1.ResourceRequestsStorage
}

// isQuotaComputeResource: cpu, memory, ephemeral-storage and hugepages, bare
// or with the requests./limits. prefix.
func isQuotaComputeResource(name v1.ResourceName) bool {
	base := strings.TrimPrefix(strings.TrimPrefix(string(name), "requests."), "limits.")
	switch v1.ResourceName(base) {
	case v1.ResourceCPU, v1.ResourceMemory, v1.ResourceEphemeralStorage:
		return true
	}
	return strings.HasPrefix(base, v1.ResourceHugePagesPrefix) && !strings.HasPrefix(string(name), "limits.")
}

func isIntegerQuotaResource(name v1.ResourceName) bool {
	switch name {
	case v1.ResourcePods, v1.ResourceServices, v1.ResourceReplicationControllers, v1.ResourceQuotas,
		v1.ResourceSecrets, v1.ResourceConfigMaps, v1.ResourcePersistentVolumeClaims,
		v1.ResourceServicesNodePorts, v1.ResourceServicesLoadBalancers:
		return true
	}
	return isExtendedResource(name)
}

// validateQualifiedResourceName: a qualified name; unprefixed names must be
// standard (isStandard) or the error is reported with notStandardMsg.
func validateQualifiedResourceName(name v1.ResourceName, isStandard func(v1.ResourceName) bool, notStandardMsg string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range validation.IsQualifiedName(string(name)) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	if !strings.Contains(string(name), "/") && !isStandard(name) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, notStandardMsg))
	}
	return allErrs
}

func validateQuotaQuantity(name v1.ResourceName, q resource.Quantity, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if q.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, q.String(), isNegativeErrorMsg))
	}
	if isIntegerQuotaResource(name) && q.MilliValue()%1000 != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, q.String(), isNotIntegerErrorMsg))
	}
	return allErrs
}

// ValidateResourceQuota checks spec.hard and status.hard/used (names and
// quantities), the scopes and the scope selector.
func ValidateResourceQuota(rq *v1.ResourceQuota) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateQuotaList(rq.Spec.Hard, specPath.Child("hard"))
	allErrs = append(allErrs, validateQuotaScopes(&rq.Spec, specPath.Child("scopes"))...)
	allErrs = append(allErrs, validateQuotaScopeSelector(rq.Spec.ScopeSelector, specPath.Child("scopeSelector"))...)
	statusPath := field.NewPath("status")
	allErrs = append(allErrs, validateQuotaList(rq.Status.Hard, statusPath.Child("hard"))...)
	return append(allErrs, validateQuotaList(rq.Status.Used, statusPath.Child("used"))...)
}

func validateQuotaList(list v1.ResourceList, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for name, q := range list {
		p := fldPath.Key(string(name))
		allErrs = append(allErrs, validateQualifiedResourceName(name, isStandardQuotaResourceName, isInvalidQuotaResource, p)...)
		allErrs = append(allErrs, validateQuotaQuantity(name, q, p)...)
	}
	return allErrs
}

func standardQuotaScopes() []v1.ResourceQuotaScope {
	return []v1.ResourceQuotaScope{v1.ResourceQuotaScopeTerminating, v1.ResourceQuotaScopeNotTerminating,
		v1.ResourceQuotaScopeBestEffort, v1.ResourceQuotaScopeNotBestEffort, v1.ResourceQuotaScopePriorityClass,
		v1.ResourceQuotaScopeCrossNamespacePodAffinity, v1.ResourceQuotaScopeVolumeAttributesClass}
}

// quotaScopeAllowsResource says whether a scope can track the resource.
func quotaScopeAllowsResource(scope v1.ResourceQuotaScope, name v1.ResourceName) bool {
	switch scope {
	case v1.ResourceQuotaScopeBestEffort, v1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return name == v1.ResourcePods
	case v1.ResourceQuotaScopeVolumeAttributesClass:
		return name == v1.ResourcePersistentVolumeClaims || name == v1.ResourceRequestsStorage
	default:
		return name == v1.ResourcePods || isQuotaComputeResource(name)
	}
}

func validateQuotaScopes(spec *v1.ResourceQuotaSpec, fldPath *field.Path) field.ErrorList {
	if len(spec.Scopes) == 0 {
		return nil
	}
	var allErrs field.ErrorList
	standard := sets.New(standardQuotaScopes()...)
	scopes := sets.New[v1.ResourceQuotaScope]()
	for _, scope := range spec.Scopes {
		if !standard.Has(scope) {
			allErrs = append(allErrs, field.Invalid(fldPath, spec.Scopes, "unsupported scope"))
		}
		for name := range spec.Hard {
			if isStandardQuotaResourceName(name) && !quotaScopeAllowsResource(scope, name) {
				allErrs = append(allErrs, field.Invalid(fldPath, spec.Scopes, "unsupported scope applied to resource"))
			}
		}
		scopes.Insert(scope)
	}
	for _, pair := range [][2]v1.ResourceQuotaScope{
		{v1.ResourceQuotaScopeBestEffort, v1.ResourceQuotaScopeNotBestEffort},
		{v1.ResourceQuotaScopeTerminating, v1.ResourceQuotaScopeNotTerminating},
	} {
		if scopes.HasAll(pair[0], pair[1]) {
			allErrs = append(allErrs, field.Invalid(fldPath, spec.Scopes, "conflicting scopes"))
		}
	}
	return allErrs
}

func validateQuotaScopeSelector(sel *v1.ScopeSelector, fldPath *field.Path) field.ErrorList {
	if sel == nil {
		return nil
	}
	var allErrs field.ErrorList
	standard := sets.New(standardQuotaScopes()...)
	for i, req := range sel.MatchExpressions {
		p := fldPath.Child("matchExpressions").Index(i)
		if !standard.Has(req.ScopeName) {
			allErrs = append(allErrs, field.Invalid(p.Child("scopeName"), req.ScopeName, "unsupported scope"))
		}
		switch req.Operator {
		case v1.ScopeSelectorOpIn, v1.ScopeSelectorOpNotIn:
			if len(req.Values) == 0 {
				allErrs = append(allErrs, field.Required(p.Child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"))
			}
		case v1.ScopeSelectorOpExists, v1.ScopeSelectorOpDoesNotExist:
			if len(req.Values) != 0 {
				allErrs = append(allErrs, field.Invalid(p.Child("values"), req.Values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
			}
		default:
			allErrs = append(allErrs, field.Invalid(p.Child("operator"), req.Operator, "not a valid selector operator"))
		}
	}
	return allErrs
}
