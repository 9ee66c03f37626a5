package core

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Length limits of the fields of a "new" (eventTime set) event.
const (
	eventReportingInstanceLengthLimit = 128
	eventActionLengthLimit            = 128
	eventReasonLengthLimit            = 128
	eventNoteLengthLimit              = 1024
)

// ValidateEvent checks a core/v1 Event as upstream does for requests of that
// version. An event without eventTime (old style) only needs its
// involvedObject namespace to agree with its own; one with eventTime needs
// reportingComponent, reportingInstance, action and reason, and length limits.
func ValidateEvent(ev *v1.Event) field.ErrorList {
	var allErrs field.ErrorList
	nsPath := field.NewPath("involvedObject", "namespace")
	mismatch := field.Invalid(nsPath, ev.InvolvedObject.Namespace, "does not match event.namespace")
	if ev.EventTime.IsZero() {
		if ev.InvolvedObject.Namespace == "" {
			if ev.Namespace != metav1.NamespaceNone && ev.Namespace != metav1.NamespaceDefault {
				allErrs = append(allErrs, mismatch)
			}
		} else if ev.Namespace != ev.InvolvedObject.Namespace {
			allErrs = append(allErrs, mismatch)
		}
	} else {
		if ev.InvolvedObject.Namespace == "" && ev.Namespace != metav1.NamespaceDefault && ev.Namespace != metav1.NamespaceSystem {
			allErrs = append(allErrs, mismatch)
		}
		allErrs = append(allErrs, validateNewEventFields(ev)...)
	}
	for _, msg := range validation.IsDNS1123Subdomain(ev.Namespace) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("namespace"), ev.Namespace, msg))
	}
	return allErrs
}

func validateNewEventFields(ev *v1.Event) field.ErrorList {
	var allErrs field.ErrorList
	rcPath := field.NewPath("reportingComponent")
	if ev.ReportingController == "" {
		allErrs = append(allErrs, field.Required(rcPath, ""))
	}
	for _, msg := range validation.IsQualifiedName(ev.ReportingController) {
		allErrs = append(allErrs, field.Invalid(rcPath, ev.ReportingController, msg))
	}
	for _, f := range []struct {
		name, value string
		limit       int
		required    bool
	}{
		{"reportingInstance", ev.ReportingInstance, eventReportingInstanceLengthLimit, true},
		{"action", ev.Action, eventActionLengthLimit, true},
		{"reason", ev.Reason, eventReasonLengthLimit, true},
		{"message", ev.Message, eventNoteLengthLimit, false},
	} {
		p := field.NewPath(f.name)
		if f.required && f.value == "" {
			allErrs = append(allErrs, field.Required(p, ""))
		}
		if len(f.value) > f.limit {
			allErrs = append(allErrs, field.Invalid(p, "", fmt.Sprintf("can have at most %v characters", f.limit)))
		}
	}
	return allErrs
}
