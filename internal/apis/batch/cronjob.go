package batch

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/core"
)

// maxCronJobNameLength leaves room for the 11-character suffix the CronJob
// controller appends to make Job names (DNS-1035 label length 63 - 11).
const maxCronJobNameLength = 52

// DefaultCronJob: concurrencyPolicy Allow, suspend false, history limits 3
// successful and 1 failed, and pod template defaults of the job template.
func DefaultCronJob(cj *batchv1.CronJob) {
	spec := &cj.Spec
	core.DefaultPodTemplateSpec(&spec.JobTemplate.Spec.Template)
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptrTo(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptrTo(int32(3))
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptrTo(int32(1))
	}
}

// ValidateCronJob validates a CronJob's name length and spec: schedule,
// time zone, concurrency policy, limits and the job template.
func ValidateCronJob(cj *batchv1.CronJob) field.ErrorList {
	var allErrs field.ErrorList
	if len(cj.Name) > maxCronJobNameLength {
		allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), cj.Name,
			fmt.Sprintf("must be no more than %d characters", maxCronJobNameLength)))
	}
	return append(allErrs, validateCronJobSpec(&cj.Spec, field.NewPath("spec"))...)
}

func validateCronJobSpec(spec *batchv1.CronJobSpec, specPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	schedPath := specPath.Child("schedule")
	switch {
	case spec.Schedule == "":
		allErrs = append(allErrs, field.Required(schedPath, ""))
	case strings.Contains(spec.Schedule, "TZ"):
		allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	default:
		if _, err := ParseSchedule(spec.Schedule); err != nil {
			allErrs = append(allErrs, field.Invalid(schedPath, spec.Schedule, err.Error()))
		}
	}
	if tz := spec.TimeZone; tz != nil {
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "local") {
			allErrs = append(allErrs, field.Invalid(specPath.Child("timeZone"), *tz, "unknown time zone "+*tz))
		}
	}
	cpPath := specPath.Child("concurrencyPolicy")
	switch spec.ConcurrencyPolicy {
	case batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	case "":
		allErrs = append(allErrs, field.Required(cpPath, ""))
	default:
		allErrs = append(allErrs, field.NotSupported(cpPath, spec.ConcurrencyPolicy,
			[]batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}))
	}
	if spec.StartingDeadlineSeconds != nil {
		allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(*spec.StartingDeadlineSeconds, specPath.Child("startingDeadlineSeconds"))...)
	}
	for _, f := range []struct {
		name  string
		value *int32
	}{{"successfulJobsHistoryLimit", spec.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", spec.FailedJobsHistoryLimit}} {
		if f.value != nil {
			allErrs = append(allErrs, apimachineryvalidation.ValidateNonnegativeField(int64(*f.value), specPath.Child(f.name))...)
		}
	}
	jtPath := specPath.Child("jobTemplate")
	jtMeta := jtPath.Child("metadata")
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.JobTemplate.Labels, jtMeta.Child("labels"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(spec.JobTemplate.Annotations, jtMeta.Child("annotations"))...)
	return append(allErrs, validateJobSpec(&spec.JobTemplate.Spec, jtPath.Child("spec"), false)...)
}

// ValidateCronJobUpdate validates cj replacing old; every spec field may
// change, so this is the spec validation of the new object.
func ValidateCronJobUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	_ = old
	return validateCronJobSpec(&cj.Spec, field.NewPath("spec"))
}
