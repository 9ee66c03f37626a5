package namespace

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Report is the outcome of one pass over a terminating namespace.
type Report struct {
	// DiscoveryFailures holds one message per group version that discovery
	// could not read.
	DiscoveryFailures []string
	// ParseFailures holds one message per group version string that did
	// not parse.
	ParseFailures []string
	// ContentFailures holds one message per resource whose content could not
	// be listed or deleted.
	ContentFailures []string
	// Remaining counts objects left, by "resource.group".
	Remaining map[string]int
	// Finalizers counts objects left, by finalizer they carry.
	Finalizers map[string]int
}

// Done reports whether the pass found the namespace empty and error free.
func (r Report) Done() bool {
	return len(r.DiscoveryFailures) == 0 && len(r.ParseFailures) == 0 && len(r.ContentFailures) == 0 && len(r.Remaining) == 0
}

// condition describes one managed condition in its failed and ok forms.
type condition struct {
	typ               corev1.NamespaceConditionType
	okReason, okMsg   string
	badReason, badMsg string // badMsg empty: condition holds
}

// describe lists the managed conditions in upstream order, phrased as
// upstream phrases them.
func describe(r Report) []condition {
	out := []condition{
		{typ: corev1.NamespaceDeletionDiscoveryFailure, okReason: "ResourcesDiscovered", okMsg: "All resources successfully discovered", badReason: "DiscoveryFailed"},
		{typ: corev1.NamespaceDeletionGVParsingFailure, okReason: "ParsedGroupVersions", okMsg: "All legacy kube types successfully parsed", badReason: "GroupVersionParsingFailed"},
		{typ: corev1.NamespaceDeletionContentFailure, okReason: "ContentDeleted", okMsg: "All content successfully deleted, may be waiting on finalization", badReason: "ContentDeletionFailed"},
		{typ: corev1.NamespaceContentRemaining, okReason: "ContentRemoved", okMsg: "All content successfully removed", badReason: "SomeResourcesRemain"},
		{typ: corev1.NamespaceFinalizersRemaining, okReason: "ContentHasNoFinalizers", okMsg: "All content-preserving finalizers finished", badReason: "SomeFinalizersRemain"},
	}
	if n := len(r.DiscoveryFailures); n > 0 {
		out[0].badMsg = fmt.Sprintf("Discovery failed for some groups, %d failing: %s", n, strings.Join(sorted(r.DiscoveryFailures), ", "))
	}
	if n := len(r.ParseFailures); n > 0 {
		out[1].badMsg = fmt.Sprintf("Failed to parse some group versions, %d failing: %s", n, strings.Join(sorted(r.ParseFailures), ", "))
	}
	if n := len(r.ContentFailures); n > 0 {
		out[2].badMsg = fmt.Sprintf("Failed to delete all resource types, %d remaining: %s", n, strings.Join(sorted(r.ContentFailures), ", "))
	}
	if len(r.Remaining) > 0 {
		out[3].badMsg = "Some resources are remaining: " + counts(r.Remaining, "%s has %d resource instances")
	}
	if len(r.Finalizers) > 0 {
		out[4].badMsg = "Some content in the namespace has finalizers remaining: " + counts(r.Finalizers, "%s in %d resource instances")
	}
	return out
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func counts(m map[string]int, format string) string {
	parts := make([]string, 0, len(m))
	for k, n := range m {
		parts = append(parts, fmt.Sprintf(format, k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Conditions returns the namespace conditions after a pass: the five managed
// conditions are set, True with a failure reason when the report shows the
// problem and False with the ok reason otherwise; other conditions are kept.
// A condition keeps its lastTransitionTime while its status is unchanged.
// existing is not modified.
func Conditions(existing []corev1.NamespaceCondition, r Report, now metav1.Time) []corev1.NamespaceCondition {
	managed := map[corev1.NamespaceConditionType]bool{}
	var out []corev1.NamespaceCondition
	for _, d := range describe(r) {
		managed[d.typ] = true
		c := corev1.NamespaceCondition{Type: d.typ, Status: corev1.ConditionFalse, Reason: d.okReason, Message: d.okMsg, LastTransitionTime: now}
		if d.badMsg != "" {
			c.Status, c.Reason, c.Message = corev1.ConditionTrue, d.badReason, d.badMsg
		}
		for _, e := range existing {
			if e.Type == c.Type && e.Status == c.Status {
				c.LastTransitionTime = e.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	for _, e := range existing {
		if !managed[e.Type] {
			out = append(out, e)
		}
	}
	return out
}
