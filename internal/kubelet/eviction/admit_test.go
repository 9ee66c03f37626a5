package eviction

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestAdmitPod(t *testing.T) {
	mem, disk, pid := v1.NodeMemoryPressure, v1.NodeDiskPressure, v1.NodePIDPressure
	be := pod("be", 0, "")
	burstable := pod("burstable", 0, "64Mi")
	cpuOnly := pod("cpu-limit", 0, "")
	cpuOnly.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse("100m")}
	initReq := pod("init-request", 0, "")
	initReq.Spec.InitContainers = []v1.Container{{Name: "init", Resources: v1.ResourceRequirements{
		Requests: v1.ResourceList{v1.ResourceMemory: resource.MustParse("1Mi")}}}}
	critical := pod("critical", systemCriticalPriority, "")
	static := pod("static", 0, "")
	static.Annotations = map[string]string{"kubernetes.io/config.source": "file"}
	tolerates := func(name string, tol ...v1.Toleration) *v1.Pod {
		p := pod(name, 0, "")
		p.Spec.Tolerations = tol
		return p
	}
	memTol := tolerates("mem-tol", v1.Toleration{Key: v1.TaintNodeMemoryPressure, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule})
	memTolNoExec := tolerates("mem-tol-noexec", v1.Toleration{Key: v1.TaintNodeMemoryPressure, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoExecute})
	allTol := tolerates("all-tol", v1.Toleration{Operator: v1.TolerationOpExists})
	diskTol := tolerates("disk-tol", v1.Toleration{Key: v1.TaintNodeDiskPressure, Operator: v1.TolerationOpExists})
	tests := []struct {
		name     string
		pressure []v1.NodeConditionType
		pod      *v1.Pod
		want     bool
		wantMsg  string
	}{
		{"no pressure admits best effort", nil, be, true, ""},
		{"memory pressure rejects best effort", []v1.NodeConditionType{mem}, be, false, "The node had condition: [MemoryPressure]. "},
		{"memory pressure admits burstable", []v1.NodeConditionType{mem}, burstable, true, ""},
		{"a cpu limit is not best effort", []v1.NodeConditionType{mem}, cpuOnly, true, ""},
		{"an init container request is not best effort", []v1.NodeConditionType{mem}, initReq, true, ""},
		{"memory pressure admits a best effort pod tolerating it", []v1.NodeConditionType{mem}, memTol, true, ""},
		{"a NoExecute toleration is not enough", []v1.NodeConditionType{mem}, memTolNoExec, false, "The node had condition: [MemoryPressure]. "},
		{"an empty-key Exists toleration tolerates everything", []v1.NodeConditionType{mem}, allTol, true, ""},
		{"memory pressure admits critical pods", []v1.NodeConditionType{mem}, critical, true, ""},
		{"disk pressure rejects burstable", []v1.NodeConditionType{disk}, burstable, false, "The node had condition: [DiskPressure]. "},
		{"disk pressure rejects a pod tolerating its taint", []v1.NodeConditionType{disk}, diskTol, false, "The node had condition: [DiskPressure]. "},
		{"disk pressure admits static pods", []v1.NodeConditionType{disk}, static, true, ""},
		{"memory and disk pressure reject burstable", []v1.NodeConditionType{mem, disk}, burstable, false, "The node had condition: [MemoryPressure DiskPressure]. "},
		{"memory and disk pressure reject a memory-tolerating pod", []v1.NodeConditionType{mem, disk}, memTol, false, "The node had condition: [MemoryPressure DiskPressure]. "},
		{"pid pressure rejects burstable", []v1.NodeConditionType{pid}, burstable, false, "The node had condition: [PIDPressure]. "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, reason, msg := AdmitPod(tc.pressure, tc.pod)
			wantReason := ""
			if !tc.want {
				wantReason = "Evicted"
			}
			if ok != tc.want || reason != wantReason || msg != tc.wantMsg {
				t.Errorf("AdmitPod = %v %q %q, want %v %q %q", ok, reason, msg, tc.want, wantReason, tc.wantMsg)
			}
		})
	}
}
