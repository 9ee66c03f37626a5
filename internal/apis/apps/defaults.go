package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/capstan/capstan/internal/apis/core"
)

const (
	defaultRevisionHistoryLimit    int32 = 10
	defaultProgressDeadlineSeconds int32 = 600
)

func defaultInt32(p **int32, v int32) {
	if *p == nil {
		*p = &v
	}
}

func defaultIntOrString(p **intstr.IntOrString, v intstr.IntOrString) {
	if *p == nil {
		*p = &v
	}
}

// DefaultDeployment: replicas 1, RollingUpdate 25%/25%, revisionHistoryLimit
// 10, progressDeadlineSeconds 600 and pod template defaults.
func DefaultDeployment(d *appsv1.Deployment) {
	core.DefaultPodTemplateSpec(&d.Spec.Template)
	defaultInt32(&d.Spec.Replicas, 1)
	s := &d.Spec.Strategy
	if s.Type == "" {
		s.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if s.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if s.RollingUpdate == nil {
			s.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		defaultIntOrString(&s.RollingUpdate.MaxUnavailable, intstr.FromString("25%"))
		defaultIntOrString(&s.RollingUpdate.MaxSurge, intstr.FromString("25%"))
	}
	defaultInt32(&d.Spec.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	defaultInt32(&d.Spec.ProgressDeadlineSeconds, defaultProgressDeadlineSeconds)
}

// DefaultReplicaSet: replicas 1 and pod template defaults.
func DefaultReplicaSet(rs *appsv1.ReplicaSet) {
	core.DefaultPodTemplateSpec(&rs.Spec.Template)
	defaultInt32(&rs.Spec.Replicas, 1)
}

// DefaultStatefulSet: podManagementPolicy OrderedReady, RollingUpdate with
// partition 0, replicas 1, revisionHistoryLimit 10, PVC retention Retain,
// and pod template and claim template defaults.
func DefaultStatefulSet(ss *appsv1.StatefulSet) {
	core.DefaultPodTemplateSpec(&ss.Spec.Template)
	if ss.Spec.PodManagementPolicy == "" {
		ss.Spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	u := &ss.Spec.UpdateStrategy
	if u.Type == "" {
		u.Type = appsv1.RollingUpdateStatefulSetStrategyType
	}
	if u.Type == appsv1.RollingUpdateStatefulSetStrategyType {
		if u.RollingUpdate == nil {
			u.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
		defaultInt32(&u.RollingUpdate.Partition, 0)
	}
	if ss.Spec.PersistentVolumeClaimRetentionPolicy == nil {
		ss.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if p := ss.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenDeleted == "" {
		p.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p := ss.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenScaled == "" {
		p.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	defaultInt32(&ss.Spec.Replicas, 1)
	defaultInt32(&ss.Spec.RevisionHistoryLimit, defaultRevisionHistoryLimit)
	for i := range ss.Spec.VolumeClaimTemplates {
		pvc := &ss.Spec.VolumeClaimTemplates[i]
		if pvc.Spec.VolumeMode == nil {
			mode := v1.PersistentVolumeFilesystem
			pvc.Spec.VolumeMode = &mode
		}
		if pvc.Status.Phase == "" {
			pvc.Status.Phase = v1.ClaimPending
		}
	}
}

// DefaultDaemonSet: RollingUpdate with maxUnavailable 1 and maxSurge 0,
// revisionHistoryLimit 10 and pod template defaults.
func DefaultDaemonSet(ds *appsv1.DaemonSet) {
	core.DefaultPodTemplateSpec(&ds.Spec.Template)
	u := &ds.Spec.UpdateStrategy
	if u.Type == "" {
		u.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if u.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if u.RollingUpdate == nil {
			u.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		defaultIntOrString(&u.RollingUpdate.MaxUnavailable, intstr.FromInt32(1))
		defaultIntOrString(&u.RollingUpdate.MaxSurge, intstr.FromInt32(0))
	}
	defaultInt32(&ds.Spec.RevisionHistoryLimit, defaultRevisionHistoryLimit)
}
