package namespace

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConditions(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Minute))
	tests := []struct {
		name     string
		existing []corev1.NamespaceCondition
		report   Report
		check    corev1.NamespaceConditionType
		want     corev1.NamespaceCondition
	}{
		{
			name:   "clean pass",
			check:  corev1.NamespaceContentRemaining,
			want:   corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: "False", Reason: "ContentRemoved", Message: "All content successfully removed", LastTransitionTime: t1},
			report: Report{},
		},
		{
			name:   "remaining content",
			check:  corev1.NamespaceContentRemaining,
			report: Report{Remaining: map[string]int{"configmaps.": 1, "widgets.example.com": 2}},
			want: corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: "True", Reason: "SomeResourcesRemain",
				Message: "Some resources are remaining: configmaps. has 1 resource instances, widgets.example.com has 2 resource instances", LastTransitionTime: t1},
		},
		{
			name:   "finalizers remaining",
			check:  corev1.NamespaceFinalizersRemaining,
			report: Report{Finalizers: map[string]int{"example.com/hold": 3}},
			want: corev1.NamespaceCondition{Type: corev1.NamespaceFinalizersRemaining, Status: "True", Reason: "SomeFinalizersRemain",
				Message: "Some content in the namespace has finalizers remaining: example.com/hold in 3 resource instances", LastTransitionTime: t1},
		},
		{
			name:   "discovery failure",
			check:  corev1.NamespaceDeletionDiscoveryFailure,
			report: Report{DiscoveryFailures: []string{"b/v1: down", "a/v1: down"}},
			want: corev1.NamespaceCondition{Type: corev1.NamespaceDeletionDiscoveryFailure, Status: "True", Reason: "DiscoveryFailed",
				Message: "Discovery failed for some groups, 2 failing: a/v1: down, b/v1: down", LastTransitionTime: t1},
		},
		{
			name:   "content failure",
			check:  corev1.NamespaceDeletionContentFailure,
			report: Report{ContentFailures: []string{"pods: boom"}},
			want: corev1.NamespaceCondition{Type: corev1.NamespaceDeletionContentFailure, Status: "True", Reason: "ContentDeletionFailed",
				Message: "Failed to delete all resource types, 1 remaining: pods: boom", LastTransitionTime: t1},
		},
		{
			name:     "unchanged status keeps transition time, takes new message",
			existing: []corev1.NamespaceCondition{{Type: corev1.NamespaceContentRemaining, Status: "True", Reason: "SomeResourcesRemain", Message: "old", LastTransitionTime: t0}},
			check:    corev1.NamespaceContentRemaining,
			report:   Report{Remaining: map[string]int{"pods.": 1}},
			want: corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: "True", Reason: "SomeResourcesRemain",
				Message: "Some resources are remaining: pods. has 1 resource instances", LastTransitionTime: t0},
		},
		{
			name:     "status flip moves transition time",
			existing: []corev1.NamespaceCondition{{Type: corev1.NamespaceContentRemaining, Status: "True", LastTransitionTime: t0}},
			check:    corev1.NamespaceContentRemaining,
			want:     corev1.NamespaceCondition{Type: corev1.NamespaceContentRemaining, Status: "False", Reason: "ContentRemoved", Message: "All content successfully removed", LastTransitionTime: t1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Conditions(tt.existing, tt.report, t1)
			if len(got) != 5 {
				t.Fatalf("got %d conditions, want 5: %+v", len(got), got)
			}
			for _, c := range got {
				if c.Type == tt.check {
					if c != tt.want {
						t.Fatalf("got %+v\nwant %+v", c, tt.want)
					}
					return
				}
			}
			t.Fatalf("condition %s missing", tt.check)
		})
	}
}

func TestConditionsKeepsForeignConditions(t *testing.T) {
	other := corev1.NamespaceCondition{Type: "Other", Status: "True"}
	got := Conditions([]corev1.NamespaceCondition{other}, Report{}, metav1.Now())
	if len(got) != 6 || got[5] != other {
		t.Fatalf("foreign condition lost: %+v", got)
	}
}

func TestReportDone(t *testing.T) {
	for _, tt := range []struct {
		r    Report
		want bool
	}{
		{Report{}, true},
		{Report{Remaining: map[string]int{"pods.": 1}}, false},
		{Report{DiscoveryFailures: []string{"x"}}, false},
		{Report{ContentFailures: []string{"x"}}, false},
		{Report{ParseFailures: []string{"x"}}, false},
	} {
		if got := tt.r.Done(); got != tt.want {
			t.Errorf("%+v.Done() = %v", tt.r, got)
		}
	}
}
