package batch

import (
	"fmt"
	"math"

	batchv1 "k8s.io/api/batch/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

const defaultBackoffLimit int32 = 6

// Unprefixed labels upstream still puts on a Job's pod template next to the
// batch.kubernetes.io/ ones.
const (
	legacyJobNameLabel       = "job-name"
	legacyControllerUIDLabel = "controller-uid"
)

func ptrTo[T any](v T) *T {
	return &v
}

// DefaultJob applies upstream's Job defaults: parallelism (and, when both
// are unset, completions) 1, backoffLimit 6 (MaxInt32 with a per-index
// limit), completionMode NonIndexed, suspend and manualSelector false,
// podReplacementPolicy, the object's labels from the template's when it has
// none, and pod template defaults.
func DefaultJob(job *batchv1.Job) {
	spec := &job.Spec
	core.DefaultPodTemplateSpec(&spec.Template)
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = ptrTo(int32(1))
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptrTo(int32(1))
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptrTo(int32(math.MaxInt32))
		} else {
			spec.BackoffLimit = ptrTo(defaultBackoffLimit)
		}
	}
	if len(job.Labels) == 0 && spec.Template.Labels != nil {
		job.Labels = spec.Template.Labels
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptrTo(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptrTo(false)
	}
	if spec.ManualSelector == nil {
		spec.ManualSelector = ptrTo(false)
	}
	if spec.PodFailurePolicy != nil {
		for i := range spec.PodFailurePolicy.Rules {
			for j := range spec.PodFailurePolicy.Rules[i].OnPodConditions {
				if c := &spec.PodFailurePolicy.Rules[i].OnPodConditions[j]; c.Status == "" {
					c.Status = v1.ConditionTrue
				}
			}
		}
	}
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptrTo(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptrTo(batchv1.TerminatingOrFailed)
		}
	}
}

// PrepareJobForCreate generates the selector and template labels of a Job
// whose manualSelector is not true, as upstream does at create time: the
// template gets controller-uid, batch.kubernetes.io/controller-uid, job-name
// and batch.kubernetes.io/job-name labels (unless already present) and the
// selector matches batch.kubernetes.io/controller-uid. The server must call
// it after assigning metadata.uid and before ValidateCreate.
func PrepareJobForCreate(job *batchv1.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	if job.Spec.Template.Labels == nil {
		job.Spec.Template.Labels = map[string]string{}
	}
	generated := map[string]string{
		legacyJobNameLabel:         job.Name,
		batchv1.JobNameLabel:       job.Name,
		legacyControllerUIDLabel:   string(job.UID),
		batchv1.ControllerUidLabel: string(job.UID),
	}
	for k, v := range generated {
		if _, found := job.Spec.Template.Labels[k]; !found {
			job.Spec.Template.Labels[k] = v
		}
	}
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{}
	}
	if job.Spec.Selector.MatchLabels == nil {
		job.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, found := job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; !found {
		job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] = string(job.UID)
	}
}

// ValidateJob validates a Job's spec, including that a generated selector
// (manualSelector not true) is exactly the one PrepareJobForCreate makes.
func ValidateJob(job *batchv1.Job) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateGeneratedSelector(job)
	allErrs = append(allErrs, validateJobSpec(&job.Spec, specPath, true)...)
	return allErrs
}

func validateGeneratedSelector(job *batchv1.Job) field.ErrorList {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector || job.UID == "" {
		return nil
	}
	want := &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: string(job.UID)}}
	if !equality.Semantic.DeepEqual(job.Spec.Selector, want) {
		return field.ErrorList{field.Invalid(field.NewPath("spec", "selector"), job.Spec.Selector, "`selector` not auto-generated")}
	}
	return nil
}

// validateJobSpec checks a JobSpec; requireSelector is false for a CronJob's
// job template, whose selector is generated when each Job is created.
func validateJobSpec(spec *batchv1.JobSpec, specPath *field.Path, requireSelector bool) field.ErrorList {
	var allErrs field.ErrorList
	for _, f := range []struct {
		name  string
		value *int32
	}{{"parallelism", spec.Parallelism}, {"completions", spec.Completions}, {"backoffLimit", spec.BackoffLimit},
		{"ttlSecondsAfterFinished", spec.TTLSecondsAfterFinished}} {
		if f.value != nil {
			allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(*f.value), specPath.Child(f.name))...)
		}
	}
	if spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(*spec.ActiveDeadlineSeconds, specPath.Child("activeDeadlineSeconds"))...)
	}
	allErrs = append(allErrs, validateCompletionMode(spec, specPath)...)
	tmplPath := specPath.Child("template")
	selPath := specPath.Child("selector")
	if spec.Selector == nil {
		if requireSelector {
			allErrs = append(allErrs, field.Required(selPath, ""))
		}
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, selPath)...)
		if sel, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !sel.Matches(labels.Set(spec.Template.Labels)) {
			allErrs = append(allErrs, field.Invalid(tmplPath.Child("metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
		}
	}
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(&spec.Template, tmplPath)...)
	rp := spec.Template.Spec.RestartPolicy
	rpPath := tmplPath.Child("spec", "restartPolicy")
	switch {
	case spec.PodFailurePolicy != nil && rp != v1.RestartPolicyNever:
		allErrs = append(allErrs, field.Invalid(rpPath, rp, fmt.Sprintf("only %q is supported when podFailurePolicy is specified", v1.RestartPolicyNever)))
	case rp != v1.RestartPolicyOnFailure && rp != v1.RestartPolicyNever:
		allErrs = append(allErrs, field.NotSupported(rpPath, rp, []v1.RestartPolicy{v1.RestartPolicyOnFailure, v1.RestartPolicyNever}))
	}
	return allErrs
}

func validateCompletionMode(spec *batchv1.JobSpec, specPath *field.Path) field.ErrorList {
	if spec.CompletionMode == nil {
		return nil
	}
	cmPath := specPath.Child("completionMode")
	switch *spec.CompletionMode {
	case batchv1.NonIndexedCompletion:
		if spec.BackoffLimitPerIndex != nil {
			return field.ErrorList{field.Invalid(specPath.Child("backoffLimitPerIndex"), *spec.BackoffLimitPerIndex,
				"requires indexed completion mode")}
		}
	case batchv1.IndexedCompletion:
		if spec.Completions == nil {
			return field.ErrorList{field.Required(specPath.Child("completions"), fmt.Sprintf("when completion mode is %s", batchv1.IndexedCompletion))}
		}
	default:
		return field.ErrorList{field.NotSupported(cmPath, *spec.CompletionMode,
			[]batchv1.CompletionMode{batchv1.NonIndexedCompletion, batchv1.IndexedCompletion})}
	}
	return nil
}

// ValidateJobUpdate validates job replacing old: selector, template,
// completionMode and podFailurePolicy are immutable, and completions may
// change only together with parallelism for Indexed jobs.
func ValidateJobUpdate(job, old *batchv1.Job) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateJobSpec(&job.Spec, specPath, true)
	immutable := func(n, o any, name string) {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(n, o, specPath.Child(name))...)
	}
	immutable(job.Spec.Selector, old.Spec.Selector, "selector")
	immutable(job.Spec.Template, old.Spec.Template, "template")
	immutable(job.Spec.CompletionMode, old.Spec.CompletionMode, "completionMode")
	immutable(job.Spec.PodFailurePolicy, old.Spec.PodFailurePolicy, "podFailurePolicy")
	immutable(job.Spec.BackoffLimitPerIndex, old.Spec.BackoffLimitPerIndex, "backoffLimitPerIndex")
	elastic := job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion &&
		job.Spec.Completions != nil && job.Spec.Parallelism != nil && *job.Spec.Completions == *job.Spec.Parallelism
	if !elastic {
		immutable(job.Spec.Completions, old.Spec.Completions, "completions")
	}
	return allErrs
}
