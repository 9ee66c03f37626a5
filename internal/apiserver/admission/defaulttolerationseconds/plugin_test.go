package defaulttolerationseconds

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func seconds(n int64) *int64 { return &n }

func TestAdmit(t *testing.T) {
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds(300)}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds(300)}
	custom := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: seconds(10)}
	other := corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "x", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name   string
		in     []corev1.Toleration
		update bool
		want   []corev1.Toleration
	}{
		{"none gets both", nil, false, []corev1.Toleration{notReady, unreachable}},
		{"unrelated kept first", []corev1.Toleration{other}, false, []corev1.Toleration{other, notReady, unreachable}},
		{"own not-ready kept", []corev1.Toleration{custom}, false, []corev1.Toleration{custom, unreachable}},
		{"wildcard key tolerates both", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, false, []corev1.Toleration{{Operator: corev1.TolerationOpExists}}},
		{"NoSchedule not-ready does not count", []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
			false, []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}, notReady, unreachable}},
		{"updates untouched", nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Tolerations: tt.in}}
			a := admissiontest.PodCreate(pod)
			if tt.update {
				a.Operation = admission.Update
			}
			if err := (&Plugin{}).Admit(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(pod.Spec.Tolerations, tt.want) {
				t.Errorf("tolerations = %+v, want %+v", pod.Spec.Tolerations, tt.want)
			}
		})
	}
}

func TestConfiguredSeconds(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	if err := (&Plugin{NotReadySeconds: 5, UnreachableSeconds: 7}).Admit(context.Background(), admissiontest.PodCreate(pod)); err != nil {
		t.Fatal(err)
	}
	got := []int64{*pod.Spec.Tolerations[0].TolerationSeconds, *pod.Spec.Tolerations[1].TolerationSeconds}
	if got[0] != 5 || got[1] != 7 {
		t.Errorf("seconds = %v, want [5 7]", got)
	}
}
