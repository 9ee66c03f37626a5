package apps

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateDeployment validates a Deployment's spec.
func ValidateDeployment(d *appsv1.Deployment) field.ErrorList {
	spec := &d.Spec
	specPath := field.NewPath("spec")
	allErrs := validateNonnegative(spec.Replicas, specPath.Child("replicas"))
	allErrs = append(allErrs, validateSelectorAndTemplate(spec.Selector, &spec.Template, "deployment", "ReplicaSet", specPath)...)
	allErrs = append(allErrs, validateDeploymentStrategy(&spec.Strategy, specPath.Child("strategy"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(spec.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	allErrs = append(allErrs, validateNonnegative(spec.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	if p := spec.ProgressDeadlineSeconds; p != nil {
		pdPath := specPath.Child("progressDeadlineSeconds")
		allErrs = append(allErrs, validateNonnegative(p, pdPath)...)
		if *p <= spec.MinReadySeconds {
			allErrs = append(allErrs, field.Invalid(pdPath, *p, "must be greater than minReadySeconds"))
		}
	}
	return allErrs
}

func validateDeploymentStrategy(s *appsv1.DeploymentStrategy, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	ruPath := fldPath.Child("rollingUpdate")
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			allErrs = append(allErrs, field.Forbidden(ruPath, "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			return append(allErrs, field.Required(ruPath, "this should be defaulted and never be nil"))
		}
		allErrs = append(allErrs, validateMaxUnavailableAndSurge(s.RollingUpdate.MaxUnavailable, s.RollingUpdate.MaxSurge, ruPath)...)
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), s.Type,
			[]appsv1.DeploymentStrategyType{appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType}))
	}
	return allErrs
}

// ValidateDeploymentUpdate validates d replacing old; the selector is immutable.
func ValidateDeploymentUpdate(d, old *appsv1.Deployment) field.ErrorList {
	allErrs := ValidateDeployment(d)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(d.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

// ValidateReplicaSet validates a ReplicaSet's spec.
func ValidateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateNonnegative(rs.Spec.Replicas, specPath.Child("replicas"))
	allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(rs.Spec.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	return append(allErrs, validateSelectorAndTemplate(rs.Spec.Selector, &rs.Spec.Template, "deployment", "ReplicaSet", specPath)...)
}

// ValidateReplicaSetUpdate validates rs replacing old; the selector is immutable.
func ValidateReplicaSetUpdate(rs, old *appsv1.ReplicaSet) field.ErrorList {
	allErrs := ValidateReplicaSet(rs)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(rs.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}

// ValidateStatefulSet validates a StatefulSet's spec.
func ValidateStatefulSet(ss *appsv1.StatefulSet) field.ErrorList {
	spec := &ss.Spec
	specPath := field.NewPath("spec")
	var allErrs field.ErrorList
	pmpPath := specPath.Child("podManagementPolicy")
	switch spec.PodManagementPolicy {
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	case "":
		allErrs = append(allErrs, field.Required(pmpPath, ""))
	default:
		allErrs = append(allErrs, field.Invalid(pmpPath, spec.PodManagementPolicy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)))
	}
	allErrs = append(allErrs, validateStatefulSetUpdateStrategy(&spec.UpdateStrategy, specPath.Child("updateStrategy"))...)
	allErrs = append(allErrs, validateNonnegative(spec.Replicas, specPath.Child("replicas"))...)
	allErrs = append(allErrs, validateNonnegative(spec.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(spec.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	if spec.Ordinals != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(spec.Ordinals.Start), specPath.Child("ordinals", "start"))...)
	}
	// Containers may mount the volumes the claim templates will provide, so
	// the template is checked as if those volumes were declared in it.
	tmpl := spec.Template.DeepCopy()
	for _, c := range spec.VolumeClaimTemplates {
		tmpl.Spec.Volumes = append(tmpl.Spec.Volumes, v1.Volume{Name: c.Name, VolumeSource: v1.VolumeSource{
			PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: c.Name}}})
	}
	return append(allErrs, validateSelectorAndTemplate(spec.Selector, tmpl, "statefulset", "StatefulSet", specPath)...)
}

func validateStatefulSetUpdateStrategy(s *appsv1.StatefulSetUpdateStrategy, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	ruPath := fldPath.Child("rollingUpdate")
	switch s.Type {
	case "":
		allErrs = append(allErrs, field.Required(fldPath, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if s.RollingUpdate != nil {
			allErrs = append(allErrs, field.Invalid(ruPath, s.RollingUpdate,
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if s.RollingUpdate != nil {
			allErrs = append(allErrs, validateNonnegative(s.RollingUpdate.Partition, ruPath.Child("partition"))...)
			if mu := s.RollingUpdate.MaxUnavailable; mu != nil {
				allErrs = append(allErrs, validatePositiveIntOrPercent(mu, ruPath.Child("maxUnavailable"))...)
				if n, _ := intOrPercentValue(mu); n == 0 {
					allErrs = append(allErrs, field.Invalid(ruPath.Child("maxUnavailable"), mu, "must be greater than 0"))
				}
				allErrs = append(allErrs, validateNotMoreThan100Percent(mu, ruPath.Child("maxUnavailable"))...)
			}
		}
	default:
		allErrs = append(allErrs, field.Invalid(fldPath, s,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}
	return allErrs
}

// statefulSetUpdateForbiddenMsg is upstream's detail when an update changes
// a StatefulSet spec field that is not mutable.
const statefulSetUpdateForbiddenMsg = "updates to statefulset spec for fields other than 'replicas', 'ordinals', " +
	"'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// ValidateStatefulSetUpdate validates ss replacing old: only replicas,
// ordinals, template, updateStrategy, revisionHistoryLimit, the PVC retention
// policy and minReadySeconds may change.
func ValidateStatefulSetUpdate(ss, old *appsv1.StatefulSet) field.ErrorList {
	allErrs := ValidateStatefulSet(ss)
	munged := old.Spec.DeepCopy()
	munged.Replicas = ss.Spec.Replicas
	munged.Ordinals = ss.Spec.Ordinals
	munged.Template = ss.Spec.Template
	munged.UpdateStrategy = ss.Spec.UpdateStrategy
	munged.RevisionHistoryLimit = ss.Spec.RevisionHistoryLimit
	munged.PersistentVolumeClaimRetentionPolicy = ss.Spec.PersistentVolumeClaimRetentionPolicy
	munged.MinReadySeconds = ss.Spec.MinReadySeconds
	if !equality.Semantic.DeepEqual(*munged, ss.Spec) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), statefulSetUpdateForbiddenMsg))
	}
	return allErrs
}

// ValidateDaemonSet validates a DaemonSet's spec.
func ValidateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	spec := &ds.Spec
	specPath := field.NewPath("spec")
	allErrs := validateSelectorAndTemplate(spec.Selector, &spec.Template, "daemonset", "DaemonSet", specPath)
	allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(spec.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	allErrs = append(allErrs, validateNonnegative(spec.RevisionHistoryLimit, specPath.Child("revisionHistoryLimit"))...)
	usPath := specPath.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		ru := spec.UpdateStrategy.RollingUpdate
		if ru == nil {
			allErrs = append(allErrs, field.Required(usPath.Child("rollingUpdate"), ""))
			break
		}
		allErrs = append(allErrs, validateMaxUnavailableAndSurge(ru.MaxUnavailable, ru.MaxSurge, usPath.Child("rollingUpdate"))...)
	default:
		allErrs = append(allErrs, field.NotSupported(usPath.Child("type"), spec.UpdateStrategy.Type,
			[]appsv1.DaemonSetUpdateStrategyType{appsv1.OnDeleteDaemonSetStrategyType, appsv1.RollingUpdateDaemonSetStrategyType}))
	}
	return allErrs
}

// ValidateDaemonSetUpdate validates ds replacing old; the selector is immutable.
func ValidateDaemonSetUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	allErrs := ValidateDaemonSet(ds)
	return append(allErrs, apimachineryvalidation.ValidateImmutableField(ds.Spec.Selector, old.Spec.Selector, field.NewPath("spec", "selector"))...)
}
