package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestValidatePodSecurityAndScheduling(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	i32 := func(v int32) *int32 { return &v }
	str := func(s string) *string { return &s }
	yes, no := true, false
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Pod)
		want   []string
	}{
		{"valid security context", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: i64(1000), FSGroup: i64(2000),
				Sysctls:        []v1.Sysctl{{Name: "net.ipv4.ip_local_port_range", Value: "1024 65535"}, {Name: "kernel/shm_rmid_forced", Value: "1"}},
				SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeLocalhost, LocalhostProfile: str("profiles/a.json")}}
		}, nil},
		{"negative runAsUser", func(p *v1.Pod) { p.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: i64(-1)} },
			[]string{"FieldValueInvalid spec.securityContext.runAsUser"}},
		{"negative fsGroup and supplemental group", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{FSGroup: i64(-1), SupplementalGroups: []int64{5, -2}}
		}, []string{"FieldValueInvalid spec.securityContext.fsGroup", "FieldValueInvalid spec.securityContext.supplementalGroups[1]"}},
		{"bad and duplicate sysctls", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{Sysctls: []v1.Sysctl{{Name: "Net.IPv4"}, {Name: "a.b"}, {Name: "a.b"}, {Name: ""}}}
		}, []string{"FieldValueInvalid spec.securityContext.sysctls[0].name", "FieldValueDuplicate spec.securityContext.sysctls[2].name",
			"FieldValueRequired spec.securityContext.sysctls[3].name"}},
		{"seccomp localhost without path", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeLocalhost}}
		}, []string{"FieldValueRequired spec.securityContext.seccompProfile.localhostProfile"}},
		{"seccomp localhost escaping path", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeLocalhost, LocalhostProfile: str("../x")}}
		}, []string{"FieldValueInvalid spec.securityContext.seccompProfile.localhostProfile"}},
		{"seccomp path with runtime default", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault, LocalhostProfile: str("x")}}
		}, []string{"FieldValueInvalid spec.securityContext.seccompProfile.localhostProfile"}},
		{"seccomp unknown type", func(p *v1.Pod) {
			p.Spec.SecurityContext = &v1.PodSecurityContext{SeccompProfile: &v1.SeccompProfile{Type: "Strict"}}
		}, []string{"FieldValueNotSupported spec.securityContext.seccompProfile.type"}},
		{"shareProcessNamespace with hostPID", func(p *v1.Pod) {
			p.Spec.HostPID = true
			p.Spec.ShareProcessNamespace = &yes
			p.Spec.SecurityContext = &v1.PodSecurityContext{}
		}, []string{"FieldValueInvalid spec.securityContext.shareProcessNamespace"}},
		{"container privileged without escalation", func(p *v1.Pod) {
			p.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: &yes, AllowPrivilegeEscalation: &no}
		}, []string{"FieldValueInvalid spec.containers[0].securityContext"}},
		{"container run-as group", func(p *v1.Pod) {
			p.Spec.Containers[0].SecurityContext = &v1.SecurityContext{RunAsGroup: i64(-5),
				Capabilities: &v1.Capabilities{Add: []v1.Capability{"NET_ADMIN", "CAP_SYS_TIME"}}}
		}, []string{"FieldValueInvalid spec.containers[0].securityContext.runAsGroup"}},
		{"valid affinity", func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{
				NodeAffinity: &v1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
					MatchExpressions: []v1.NodeSelectorRequirement{{Key: "zone", Operator: v1.NodeSelectorOpIn, Values: []string{"a"}},
						{Key: "cores", Operator: v1.NodeSelectorOpGt, Values: []string{"4"}}},
					MatchFields: []v1.NodeSelectorRequirement{{Key: "metadata.name", Operator: v1.NodeSelectorOpIn, Values: []string{"n1"}}}}}}},
				PodAntiAffinity: &v1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.WeightedPodAffinityTerm{{Weight: 100,
					PodAffinityTerm: v1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname",
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}},
			}
		}, nil},
		{"empty node selector terms", func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{NodeAffinity: &v1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{}}}
		}, []string{"FieldValueRequired spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"}},
		{"node selector operators", func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{NodeAffinity: &v1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{
				NodeSelectorTerms: []v1.NodeSelectorTerm{{MatchExpressions: []v1.NodeSelectorRequirement{
					{Key: "a", Operator: v1.NodeSelectorOpIn},
					{Key: "b", Operator: v1.NodeSelectorOpExists, Values: []string{"x"}},
					{Key: "c", Operator: v1.NodeSelectorOpLt, Values: []string{"1", "2"}},
					{Key: "d", Operator: "Near"},
				}, MatchFields: []v1.NodeSelectorRequirement{{Key: "metadata.uid", Operator: v1.NodeSelectorOpIn, Values: []string{"u"}}}}}}}}
		}, []string{
			"FieldValueRequired spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values",
			"FieldValueForbidden spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values",
			"FieldValueRequired spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].values",
			"FieldValueInvalid spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[3].operator",
			"FieldValueInvalid spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key"}},
		{"preferred weight out of range", func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{NodeAffinity: &v1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []v1.PreferredSchedulingTerm{{Weight: 0}}}}
		}, []string{"FieldValueInvalid spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"}},
		{"pod affinity without topologyKey", func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{PodAffinity: &v1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{
				Namespaces: []string{"Bad_NS"}}}}}
		}, []string{"FieldValueRequired spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
			"FieldValueInvalid spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespace"}},
		{"valid topology spread", func(p *v1.Pod) {
			p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone",
				WhenUnsatisfiable: v1.DoNotSchedule, MinDomains: i32(2)}, {MaxSkew: 2, TopologyKey: "zone", WhenUnsatisfiable: v1.ScheduleAnyway}}
		}, nil},
		{"topology spread errors", func(p *v1.Pod) {
			p.Spec.TopologySpreadConstraints = []v1.TopologySpreadConstraint{
				{MaxSkew: 0, WhenUnsatisfiable: "Sometimes"},
				{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: v1.ScheduleAnyway, MinDomains: i32(0)},
				{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: v1.ScheduleAnyway},
			}
		}, []string{"FieldValueInvalid spec.topologySpreadConstraints[0].maxSkew",
			"FieldValueRequired spec.topologySpreadConstraints[0].topologyKey",
			"FieldValueNotSupported spec.topologySpreadConstraints[0].whenUnsatisfiable",
			"FieldValueInvalid spec.topologySpreadConstraints[1].minDomains",
			"FieldValueInvalid spec.topologySpreadConstraints[1].minDomains",
			"FieldValueDuplicate spec.topologySpreadConstraints[2].{topologyKey, whenUnsatisfiable}"}},
		{"host aliases", func(p *v1.Pod) {
			p.Spec.HostAliases = []v1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"db.local"}}, {IP: "nope", Hostnames: []string{"Bad_Host"}}}
		}, []string{"FieldValueInvalid spec.hostAliases[1].ip", "FieldValueInvalid spec.hostAliases[1].hostnames[0]"}},
		{"subPathExpr with subPath", func(p *v1.Pod) {
			p.Spec.Containers[0].VolumeMounts[0].SubPath = "a"
			p.Spec.Containers[0].VolumeMounts[0].SubPathExpr = "$(POD_NAME)"
		}, []string{"FieldValueInvalid spec.containers[0].volumeMounts[0].subPathExpr"}},
		{"subPathExpr absolute", func(p *v1.Pod) { p.Spec.Containers[0].VolumeMounts[0].SubPathExpr = "/$(POD_NAME)" },
			[]string{"FieldValueInvalid spec.containers[0].volumeMounts[0].subPathExpr"}},
		{"ephemeral containers on create", func(p *v1.Pod) {
			p.Spec.EphemeralContainers = []v1.EphemeralContainer{{EphemeralContainerCommon: v1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}}
		}, []string{"FieldValueForbidden spec.ephemeralContainers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPod()
			tc.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePod(p), tc.want...)
		})
	}
}

func TestValidatePodUpdateEphemeralContainers(t *testing.T) {
	old := validPod()
	old.Spec.EphemeralContainers = []v1.EphemeralContainer{{EphemeralContainerCommon: v1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}}
	same := old.DeepCopy()
	fieldtest.ExpectErrors(t, ValidatePodUpdate(same, old))
	changed := old.DeepCopy()
	changed.Spec.EphemeralContainers[0].Image = "alpine"
	fieldtest.ExpectErrors(t, ValidatePodUpdate(changed, old), "FieldValueForbidden spec")
	removed := old.DeepCopy()
	removed.Spec.EphemeralContainers = nil
	fieldtest.ExpectErrors(t, ValidatePodUpdate(removed, old), "FieldValueForbidden spec")
}
