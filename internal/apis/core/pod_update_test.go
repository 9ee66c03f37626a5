package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestValidatePodUpdate(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name   string
		old    func(*v1.Pod)
		mutate func(*v1.Pod)
		want   []string
	}{
		{"no change", nil, func(*v1.Pod) {}, nil},
		{"image change", nil, func(p *v1.Pod) { p.Spec.Containers[0].Image = "nginx:1.26" }, nil},
		{"add toleration", nil, func(p *v1.Pod) {
			p.Spec.Tolerations = []v1.Toleration{{Key: "k", Operator: v1.TolerationOpExists}}
		}, nil},
		{"remove toleration", func(p *v1.Pod) {
			p.Spec.Tolerations = []v1.Toleration{{Key: "k", Operator: v1.TolerationOpExists}}
		}, func(p *v1.Pod) { p.Spec.Tolerations = nil }, []string{"FieldValueForbidden spec.tolerations"}},
		{"set activeDeadlineSeconds", nil, func(p *v1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(30) }, nil},
		{"raise activeDeadlineSeconds", func(p *v1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(30) },
			func(p *v1.Pod) { p.Spec.ActiveDeadlineSeconds = i64(60) }, []string{"FieldValueInvalid spec.activeDeadlineSeconds"}},
		{"change port", nil, func(p *v1.Pod) {
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 80, Protocol: v1.ProtocolTCP}}
		}, []string{"FieldValueForbidden spec"}},
		{"change node", nil, func(p *v1.Pod) { p.Spec.NodeName = "node-a" }, []string{"FieldValueForbidden spec"}},
		{"negative grace to 1", func(p *v1.Pod) { p.Spec.TerminationGracePeriodSeconds = i64(-1) },
			func(p *v1.Pod) { p.Spec.TerminationGracePeriodSeconds = i64(1) }, nil},
		{"grace change", nil, func(p *v1.Pod) { p.Spec.TerminationGracePeriodSeconds = i64(1) }, []string{"FieldValueForbidden spec"}},
		{"remove scheduling gate", func(p *v1.Pod) { p.Spec.SchedulingGates = []v1.PodSchedulingGate{{Name: "g"}} },
			func(p *v1.Pod) { p.Spec.SchedulingGates = nil }, nil},
		{"add scheduling gate", nil, func(p *v1.Pod) { p.Spec.SchedulingGates = []v1.PodSchedulingGate{{Name: "g"}} },
			[]string{"FieldValueForbidden spec.schedulingGates"}},
		{"empty image still invalid", nil, func(p *v1.Pod) { p.Spec.Containers[0].Image = "" },
			[]string{"FieldValueRequired spec.containers[0].image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := validPod()
			if tc.old != nil {
				tc.old(old)
			}
			p := old.DeepCopy()
			tc.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePodUpdate(p, old), tc.want...)
		})
	}
}

func TestValidatePodUpdateMessage(t *testing.T) {
	old := validPod()
	p := old.DeepCopy()
	p.Spec.RestartPolicy = v1.RestartPolicyNever
	errs := ValidatePodUpdate(p, old)
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`") {
		t.Fatalf("got %v", errs)
	}
}
