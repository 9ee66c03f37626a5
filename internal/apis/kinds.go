package apis

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/apps"
	"github.com/capstan/capstan/internal/apis/core"
)

// defaultObject dispatches to the group package that defaults obj's kind.
func defaultObject(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		core.DefaultPod(o)
	case *corev1.PodTemplate:
		core.DefaultPodTemplateSpec(&o.Template)
	case *corev1.ReplicationController:
		defaultReplicationController(o)
	case *corev1.Service:
		core.DefaultService(o)
	case *corev1.Secret:
		core.DefaultSecret(o)
	case *corev1.Namespace:
		core.DefaultNamespace(o)
	case *corev1.PersistentVolume:
		core.DefaultPersistentVolume(o)
	case *corev1.PersistentVolumeClaim:
		core.DefaultPersistentVolumeClaim(o)
	case *appsv1.Deployment:
		apps.DefaultDeployment(o)
	case *appsv1.ReplicaSet:
		apps.DefaultReplicaSet(o)
	case *appsv1.StatefulSet:
		apps.DefaultStatefulSet(o)
	case *appsv1.DaemonSet:
		apps.DefaultDaemonSet(o)
	default:
		defaultOtherGroups(obj)
	}
}

func defaultReplicationController(rc *corev1.ReplicationController) {
	if rc.Spec.Template != nil {
		core.DefaultPodTemplateSpec(rc.Spec.Template)
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = rc.Spec.Template.Labels
		}
		if len(rc.Labels) == 0 {
			rc.Labels = rc.Spec.Template.Labels
		}
	}
	if rc.Spec.Replicas == nil {
		one := int32(1)
		rc.Spec.Replicas = &one
	}
}

// validateObjectCreate dispatches to the kind's create validation.
func validateObjectCreate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		return core.ValidatePod(o)
	case *corev1.PodTemplate:
		return core.ValidatePodTemplateSpec(&o.Template, field.NewPath("template"))
	case *corev1.Service:
		return core.ValidateService(o)
	case *corev1.ConfigMap:
		return core.ValidateConfigMap(o)
	case *corev1.Secret:
		return core.ValidateSecret(o)
	case *corev1.Namespace:
		return core.ValidateNamespace(o)
	case *corev1.Node:
		return core.ValidateNode(o)
	case *corev1.PersistentVolume:
		return core.ValidatePersistentVolume(o)
	case *corev1.PersistentVolumeClaim:
		return core.ValidatePersistentVolumeClaim(o)
	case *appsv1.Deployment:
		return apps.ValidateDeployment(o)
	case *appsv1.ReplicaSet:
		return apps.ValidateReplicaSet(o)
	case *appsv1.StatefulSet:
		return apps.ValidateStatefulSet(o)
	case *appsv1.DaemonSet:
		return apps.ValidateDaemonSet(o)
	default:
		return validateOtherGroupsCreate(obj)
	}
}

// validateObjectUpdate dispatches to the kind's update validation; obj and
// old have the same type.
func validateObjectUpdate(obj, old runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		return core.ValidatePodUpdate(o, old.(*corev1.Pod))
	case *corev1.Service:
		return core.ValidateServiceUpdate(o, old.(*corev1.Service))
	case *corev1.ConfigMap:
		return core.ValidateConfigMapUpdate(o, old.(*corev1.ConfigMap))
	case *corev1.Secret:
		return core.ValidateSecretUpdate(o, old.(*corev1.Secret))
	case *corev1.Node:
		return core.ValidateNodeUpdate(o, old.(*corev1.Node))
	case *corev1.Namespace:
		return core.ValidateNamespace(o)
	case *corev1.PersistentVolume:
		return core.ValidatePersistentVolume(o)
	case *corev1.PersistentVolumeClaim:
		return core.ValidatePersistentVolumeClaimUpdate(o, old.(*corev1.PersistentVolumeClaim))
	case *corev1.PodTemplate:
		return core.ValidatePodTemplateSpec(&o.Template, field.NewPath("template"))
	case *appsv1.Deployment:
		return apps.ValidateDeploymentUpdate(o, old.(*appsv1.Deployment))
	case *appsv1.ReplicaSet:
		return apps.ValidateReplicaSetUpdate(o, old.(*appsv1.ReplicaSet))
	case *appsv1.StatefulSet:
		return apps.ValidateStatefulSetUpdate(o, old.(*appsv1.StatefulSet))
	case *appsv1.DaemonSet:
		return apps.ValidateDaemonSetUpdate(o, old.(*appsv1.DaemonSet))
	default:
		return validateOtherGroupsUpdate(obj, old)
	}
}
