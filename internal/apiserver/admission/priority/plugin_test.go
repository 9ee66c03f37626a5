package priority

import (
	"context"
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func class(name string, value int32, def bool, policy corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, GlobalDefault: def, PreemptionPolicy: &policy}
}

func ptr[T any](v T) *T { return &v }

func TestAdmitPod(t *testing.T) {
	never := corev1.PreemptNever
	lower := corev1.PreemptLowerPriority
	withClasses := func(def bool) *admissiontest.Lookup {
		l := admissiontest.NewLookup().Add(priorityClasses(), class("high", 1000, false, never))
		for _, pc := range SystemClasses() {
			l.Add(priorityClasses(), pc)
		}
		if def {
			l.Add(priorityClasses(), class("low-default", 10, true, lower), class("mid-default", 50, true, lower))
		}
		return l
	}
	tests := []struct {
		name       string
		lookup     *admissiontest.Lookup
		spec       corev1.PodSpec
		wantClass  string
		wantValue  int32
		wantPolicy corev1.PreemptionPolicy
		wantErr    string
	}{
		{"no class, no default", withClasses(false), corev1.PodSpec{}, "", 0, lower, ""},
		{"no class, lowest default", withClasses(true), corev1.PodSpec{}, "low-default", 10, lower, ""},
		{"named class", withClasses(true), corev1.PodSpec{PriorityClassName: "high"}, "high", 1000, never, ""},
		{"system class", withClasses(false), corev1.PodSpec{PriorityClassName: SystemNodeCritical}, SystemNodeCritical, 2000001000, lower, ""},
		{"missing class", withClasses(false), corev1.PodSpec{PriorityClassName: "nope"}, "", 0, "",
			`pods "p" is forbidden: no PriorityClass with name nope was found`},
		{"matching priority allowed", withClasses(false), corev1.PodSpec{PriorityClassName: "high", Priority: ptr(int32(1000))}, "high", 1000, never, ""},
		{"conflicting priority", withClasses(false), corev1.PodSpec{PriorityClassName: "high", Priority: ptr(int32(5))}, "", 0, "",
			`pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`},
		{"conflicting policy", withClasses(false), corev1.PodSpec{PriorityClassName: "high", PreemptionPolicy: &lower}, "", 0, "",
			`pods "p" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: tt.spec}
			err := (&Plugin{Lookup: tt.lookup}).Admit(context.Background(), admissiontest.PodCreate(pod))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !apierrors.IsForbidden(err) {
					t.Fatalf("err = %v, want 403 %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.PriorityClassName != tt.wantClass || pod.Spec.Priority == nil || *pod.Spec.Priority != tt.wantValue ||
				pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != tt.wantPolicy {
				t.Errorf("got class %q priority %v policy %v, want %q %d %s", pod.Spec.PriorityClassName, pod.Spec.Priority, pod.Spec.PreemptionPolicy, tt.wantClass, tt.wantValue, tt.wantPolicy)
			}
		})
	}
}

func TestAdmitSkipsUpdatesAndFaults(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	a := admissiontest.PodCreate(pod)
	a.Operation = admission.Update
	if err := (&Plugin{Lookup: admissiontest.NewLookup()}).Admit(context.Background(), a); err != nil || pod.Spec.Priority != nil {
		t.Fatalf("update changed the pod: err %v priority %v", err, pod.Spec.Priority)
	}
	broken := admissiontest.NewLookup()
	broken.Err = errors.New("etcd down")
	err := (&Plugin{Lookup: broken}).Admit(context.Background(), admissiontest.PodCreate(pod))
	if err == nil || apierrors.IsForbidden(err) {
		t.Fatalf("storage fault gave %v, want a plain error", err)
	}
}

func TestValidateSingleDefault(t *testing.T) {
	lookup := admissiontest.NewLookup().Add(priorityClasses(), class("existing", 1, true, corev1.PreemptLowerPriority))
	tests := []struct {
		name    string
		pc      *schedulingv1.PriorityClass
		wantErr string
	}{
		{"second default refused", class("new", 2, true, corev1.PreemptLowerPriority),
			`priorityclasses.scheduling.k8s.io "new" is forbidden: PriorityClass existing is already marked as default. Only one default can exist`},
		{"same default updated", class("existing", 3, true, corev1.PreemptLowerPriority), ""},
		{"non-default fine", class("other", 2, false, corev1.PreemptLowerPriority), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &admission.Attributes{Operation: admission.Create, Resource: priorityClasses(), Name: tt.pc.Name, Object: tt.pc}
			err := (&Plugin{Lookup: lookup}).Validate(context.Background(), a)
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSystemClasses(t *testing.T) {
	got := map[string]int32{}
	for _, pc := range SystemClasses() {
		got[pc.Name] = pc.Value
	}
	if got[SystemNodeCritical] != 2000001000 || got[SystemClusterCritical] != 2000000000 || len(got) != 2 {
		t.Errorf("system classes = %v", got)
	}
}
