package autoscaling

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Upstream's bounds on HPA behavior.
const (
	MaxPeriodSeconds              int32 = 1800
	MaxStabilizationWindowSeconds int32 = 3600
)

// ValidateHorizontalPodAutoscaler checks replicas bounds, the scale target,
// the metrics and the behavior.
func ValidateHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
	spec := &hpa.Spec
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	if spec.MinReplicas != nil && *spec.MinReplicas < 1 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("minReplicas"), *spec.MinReplicas, "must be greater than or equal to 1"))
	}
	if spec.MaxReplicas < 1 {
		allErrs = append(allErrs, field.Invalid(specPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than 0"))
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		allErrs = append(allErrs, field.Invalid(specPath.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	allErrs = append(allErrs, validateObjectReference(spec.ScaleTargetRef, specPath.Child("scaleTargetRef"))...)
	for i := range spec.Metrics {
		allErrs = append(allErrs, validateMetricSpec(&spec.Metrics[i], specPath.Child("metrics").Index(i))...)
	}
	if b := spec.Behavior; b != nil {
		bPath := specPath.Child("behavior")
		allErrs = append(allErrs, validateScalingRules(b.ScaleUp, bPath.Child("scaleUp"))...)
		allErrs = append(allErrs, validateScalingRules(b.ScaleDown, bPath.Child("scaleDown"))...)
	}
	return allErrs
}

func validateObjectReference(ref autoscalingv2.CrossVersionObjectReference, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, f := range []struct{ name, value string }{{"kind", ref.Kind}, {"name", ref.Name}} {
		if f.value == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child(f.name), ""))
			continue
		}
		for _, msg := range path.IsValidPathSegmentName(f.value) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child(f.name), f.value, msg))
		}
	}
	return allErrs
}

// validateMetricSpec requires a known type whose source, and only that
// source, is populated.
func validateMetricSpec(spec *autoscalingv2.MetricSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	typePath := fldPath.Child("type")
	if spec.Type == "" {
		allErrs = append(allErrs, field.Required(typePath, "must specify a metric source type"))
	}
	sources := map[autoscalingv2.MetricSourceType]string{
		autoscalingv2.ObjectMetricSourceType: "object", autoscalingv2.PodsMetricSourceType: "pods",
		autoscalingv2.ResourceMetricSourceType: "resource", autoscalingv2.ExternalMetricSourceType: "external",
		autoscalingv2.ContainerResourceMetricSourceType: "containerResource",
	}
	expected, known := sources[spec.Type]
	if !known {
		allErrs = append(allErrs, field.NotSupported(typePath, spec.Type, []autoscalingv2.MetricSourceType{
			autoscalingv2.ObjectMetricSourceType, autoscalingv2.PodsMetricSourceType, autoscalingv2.ResourceMetricSourceType,
			autoscalingv2.ExternalMetricSourceType, autoscalingv2.ContainerResourceMetricSourceType}))
	}
	present := []string{}
	if spec.Object != nil {
		present = append(present, "object")
		allErrs = append(allErrs, validateObjectSource(spec.Object, fldPath.Child("object"))...)
	}
	if spec.Pods != nil {
		present = append(present, "pods")
		allErrs = append(allErrs, validatePodsSource(spec.Pods, fldPath.Child("pods"))...)
	}
	if spec.Resource != nil {
		present = append(present, "resource")
		allErrs = append(allErrs, validateResourceTarget(string(spec.Resource.Name), spec.Resource.Target, fldPath.Child("resource"))...)
	}
	if spec.External != nil {
		present = append(present, "external")
		allErrs = append(allErrs, validateExternalSource(spec.External, fldPath.Child("external"))...)
	}
	if spec.ContainerResource != nil {
		present = append(present, "containerResource")
		allErrs = append(allErrs, validateContainerResourceSource(spec.ContainerResource, fldPath.Child("containerResource"))...)
	}
	if known && !sets.New(present...).Has(expected) {
		allErrs = append(allErrs, field.Required(fldPath.Child(expected), "must populate information for the given metric source"))
	}
	if len(present) > 1 {
		for _, p := range present {
			if p != expected {
				allErrs = append(allErrs, field.Forbidden(fldPath.Child(p), "must populate the given metric source only"))
			}
		}
	}
	return allErrs
}

func validateMetricIdentifier(id autoscalingv2.MetricIdentifier, fldPath *field.Path) field.ErrorList {
	namePath := fldPath.Child("name")
	if id.Name == "" {
		return field.ErrorList{field.Required(namePath, "must specify a metric name")}
	}
	var allErrs field.ErrorList
	for _, msg := range path.IsValidPathSegmentName(id.Name) {
		allErrs = append(allErrs, field.Invalid(namePath, id.Name, msg))
	}
	return allErrs
}

func validateMetricTarget(mt autoscalingv2.MetricTarget, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch mt.Type {
	case autoscalingv2.UtilizationMetricType, autoscalingv2.ValueMetricType, autoscalingv2.AverageValueMetricType:
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("type"), "must specify a metric target type"),
			field.Invalid(fldPath.Child("type"), mt.Type, "must be either Utilization, Value, or AverageValue"))
	default:
		allErrs = append(allErrs, field.Invalid(fldPath.Child("type"), mt.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if mt.Value != nil && mt.Value.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("value"), mt.Value, "must be positive"))
	}
	if mt.AverageValue != nil && mt.AverageValue.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("averageValue"), mt.AverageValue, "must be positive"))
	}
	if mt.AverageUtilization != nil && *mt.AverageUtilization < 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("averageUtilization"), mt.AverageUtilization, "must be greater than 0"))
	}
	return allErrs
}

func validateObjectSource(src *autoscalingv2.ObjectMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateObjectReference(src.DescribedObject, fldPath.Child("describedObject"))
	allErrs = append(allErrs, validateMetricIdentifier(src.Metric, fldPath.Child("metric"))...)
	allErrs = append(allErrs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("target", "averageValue"), "must set either a target value or averageValue"))
	}
	return allErrs
}

func validatePodsSource(src *autoscalingv2.PodsMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateMetricIdentifier(src.Metric, fldPath.Child("metric"))
	allErrs = append(allErrs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("target", "averageValue"), "must specify a positive target averageValue"))
	}
	return allErrs
}

func validateExternalSource(src *autoscalingv2.ExternalMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateMetricIdentifier(src.Metric, fldPath.Child("metric"))
	allErrs = append(allErrs, validateMetricTarget(src.Target, fldPath.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("target", "averageValue"), "must set either a target value for metric or a per-pod target"))
	}
	if src.Target.Value != nil && src.Target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("target", "value"), "may not set both a target value for metric and a per-pod target"))
	}
	return allErrs
}

// validateResourceTarget covers resource and container resource sources: a
// resource name and either an average utilization or an average value.
func validateResourceTarget(name string, target autoscalingv2.MetricTarget, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), "must specify a resource name"))
	}
	allErrs = append(allErrs, validateMetricTarget(target, fldPath.Child("target"))...)
	if target.AverageUtilization == nil && target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("target", "averageUtilization"), "must set either a target raw value or a target utilization"))
	}
	if target.AverageUtilization != nil && target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("target", "averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return allErrs
}

func validateContainerResourceSource(src *autoscalingv2.ContainerResourceMetricSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateResourceTarget(string(src.Name), src.Target, fldPath)
	if src.Container == "" {
		return append(allErrs, field.Required(fldPath.Child("container"), "must specify a container"))
	}
	for _, msg := range validation.IsDNS1123Label(src.Container) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("container"), src.Container, msg))
	}
	return allErrs
}

func validateScalingRules(rules *autoscalingv2.HPAScalingRules, fldPath *field.Path) field.ErrorList {
	if rules == nil {
		return nil
	}
	var allErrs field.ErrorList
	if w := rules.StabilizationWindowSeconds; w != nil {
		wPath := fldPath.Child("stabilizationWindowSeconds")
		if *w < 0 {
			allErrs = append(allErrs, field.Invalid(wPath, *w, "must be greater than or equal to zero"))
		}
		if *w > MaxStabilizationWindowSeconds {
			allErrs = append(allErrs, field.Invalid(wPath, *w, fmt.Sprintf("must be less than or equal to %v", MaxStabilizationWindowSeconds)))
		}
	}
	if sp := rules.SelectPolicy; sp != nil && *sp != autoscalingv2.MaxChangePolicySelect &&
		*sp != autoscalingv2.MinChangePolicySelect && *sp != autoscalingv2.DisabledPolicySelect {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("selectPolicy"), *sp, []autoscalingv2.ScalingPolicySelect{
			autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect}))
	}
	policiesPath := fldPath.Child("policies")
	if len(rules.Policies) == 0 {
		allErrs = append(allErrs, field.Required(policiesPath, "must specify at least one Policy"))
	}
	for i, p := range rules.Policies {
		idxPath := policiesPath.Index(i)
		if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy {
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("type"), p.Type,
				[]autoscalingv2.HPAScalingPolicyType{autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy}))
		}
		if p.Value <= 0 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("value"), p.Value, "must be greater than zero"))
		}
		if p.PeriodSeconds <= 0 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("periodSeconds"), p.PeriodSeconds, "must be greater than zero"))
		}
		if p.PeriodSeconds > MaxPeriodSeconds {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("periodSeconds"), p.PeriodSeconds, fmt.Sprintf("must be less than or equal to %v", MaxPeriodSeconds)))
		}
	}
	return allErrs
}
