package core

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const podLimitForbiddenMsg = "may not be specified when `type` is 'Pod'"

// ValidateLimitRange checks each limit: its type (once per type), resource
// names, and min <= defaultRequest <= default <= max with sane ratios.
func ValidateLimitRange(lr *v1.LimitRange) field.ErrorList {
	var allErrs field.ErrorList
	limitsPath := field.NewPath("spec", "limits")
	types := sets.New[v1.LimitType]()
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		idxPath := limitsPath.Index(i)
		allErrs = append(allErrs, validateQualifiedResourceName(v1.ResourceName(item.Type), isStandardLimitType,
			"must be a standard limit type or fully qualified", idxPath.Child("type"))...)
		if types.Has(item.Type) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("type"), item.Type))
		}
		types.Insert(item.Type)
		allErrs = append(allErrs, validateLimitRangeItem(item, idxPath)...)
	}
	return allErrs
}

func isStandardLimitType(t v1.ResourceName) bool {
	switch v1.LimitType(t) {
	case v1.LimitTypePod, v1.LimitTypeContainer, v1.LimitTypePersistentVolumeClaim:
		return true
	}
	return false
}

func validateLimitRangeItem(item *v1.LimitRangeItem, idxPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	keys := sets.New[v1.ResourceName]()
	for _, l := range []struct {
		name string
		list v1.ResourceList
	}{{"max", item.Max}, {"min", item.Min}, {"default", item.Default}, {"defaultRequest", item.DefaultRequest},
		{"maxLimitRequestRatio", item.MaxLimitRequestRatio}} {
		for name := range l.list {
			allErrs = append(allErrs, validateLimitRangeResourceName(item.Type, name, idxPath.Child(l.name).Key(string(name)))...)
			keys.Insert(name)
		}
	}
	if item.Type == v1.LimitTypePod {
		if len(item.Default) > 0 {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("default"), podLimitForbiddenMsg))
		}
		if len(item.DefaultRequest) > 0 {
			allErrs = append(allErrs, field.Forbidden(idxPath.Child("defaultRequest"), podLimitForbiddenMsg))
		}
	}
	if item.Type == v1.LimitTypePersistentVolumeClaim {
		_, hasMin := item.Min[v1.ResourceStorage]
		_, hasMax := item.Max[v1.ResourceStorage]
		if !hasMin && !hasMax {
			allErrs = append(allErrs, field.Required(idxPath.Child("limits"), "either minimum or maximum storage value is required, but neither was provided"))
		}
	}
	for _, k := range sets.List(keys) {
		allErrs = append(allErrs, validateLimitOrder(item, k, idxPath)...)
	}
	return allErrs
}

func validateLimitRangeResourceName(t v1.LimitType, name v1.ResourceName, fldPath *field.Path) field.ErrorList {
	switch t {
	case v1.LimitTypePod, v1.LimitTypeContainer:
		return validateQualifiedResourceName(name, isContainerResource, "must be a standard resource for containers", fldPath)
	default:
		return validateQualifiedResourceName(name, func(n v1.ResourceName) bool { return n == v1.ResourceStorage },
			notStandardOrQualified, fldPath)
	}
}

// validateLimitOrder compares min, max, default, defaultRequest and the
// ratio of one resource.
func validateLimitOrder(item *v1.LimitRangeItem, k v1.ResourceName, idxPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	key := string(k)
	lower, hasMin := item.Min[k]
	upper, hasMax := item.Max[k]
	def, hasDef := item.Default[k]
	defReq, hasDefReq := item.DefaultRequest[k]
	ratio, hasRatio := item.MaxLimitRequestRatio[k]
	bad := func(path string, q resource.Quantity, format string, args ...any) {
		allErrs = append(allErrs, field.Invalid(idxPath.Child(path).Key(key), q, fmt.Sprintf(format, args...)))
	}
	if hasMin && hasMax && lower.Cmp(upper) > 0 {
		bad("min", lower, "min value %s is greater than max value %s", lower.String(), upper.String())
	}
	if hasDefReq && hasMin && lower.Cmp(defReq) > 0 {
		bad("defaultRequest", defReq, "min value %s is greater than default request value %s", lower.String(), defReq.String())
	}
	if hasDefReq && hasMax && defReq.Cmp(upper) > 0 {
		bad("defaultRequest", defReq, "default request value %s is greater than max value %s", defReq.String(), upper.String())
	}
	if hasDefReq && hasDef && defReq.Cmp(def) > 0 {
		bad("defaultRequest", defReq, "default request value %s is greater than default limit value %s", defReq.String(), def.String())
	}
	if hasDef && hasMin && lower.Cmp(def) > 0 {
		bad("default", lower, "min value %s is greater than default value %s", lower.String(), def.String())
	}
	if hasDef && hasMax && def.Cmp(upper) > 0 {
		bad("default", upper, "default value %s is greater than max value %s", def.String(), upper.String())
	}
	if hasRatio && ratio.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
		bad("maxLimitRequestRatio", ratio, "ratio %s is less than 1", ratio.String())
	}
	if hasRatio && hasMin && hasMax && lower.Sign() > 0 {
		limit := float64(upper.MilliValue()) / float64(lower.MilliValue())
		if float64(ratio.MilliValue())/1000 > limit {
			bad("maxLimitRequestRatio", ratio, "ratio %s is greater than max/min = %f", ratio.String(), limit)
		}
	}
	if !isOvercommitAllowed(k) && hasDef && hasDefReq && def.Cmp(defReq) != 0 {
		bad("defaultRequest", defReq, "default value %s must equal to defaultRequest value %s in %s", def.String(), defReq.String(), key)
	}
	return allErrs
}

// isOvercommitAllowed: only native resources other than hugepages may have a
// limit above their request.
func isOvercommitAllowed(name v1.ResourceName) bool {
	native := !strings.Contains(string(name), "/") || strings.Contains(string(name), "kubernetes.io/")
	return native && !isHugePages(name)
}
