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
		core.DefaultReplicationController(o)
	case *corev1.Endpoints:
		core.DefaultEndpoints(o)
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

// validateObjectCreate dispatches to the kind's create validation.
func validateObjectCreate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Pod:
		return core.ValidatePod(o)
	case *corev1.PodTemplate:
		return core.ValidatePodTemplateSpec(&o.Template, field.NewPath("template"))
	case *corev1.ReplicationController:
		return core.ValidateReplicationController(o)
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
	case *appsv1.ControllerRevision:
		return apps.ValidateControllerRevision(o)
	default:
		return validateCoreExtraCreate(obj)
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
	case *appsv1.ControllerRevision:
		return apps.ValidateControllerRevisionUpdate(o, old.(*appsv1.ControllerRevision))
	default:
		return validateOtherGroupsUpdate(obj, old)
	}
}

// validateCoreExtraCreate covers the remaining core/v1 kinds whose create and
// update rules are the same.
func validateCoreExtraCreate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *corev1.Endpoints:
		return core.ValidateEndpoints(o)
	case *corev1.ResourceQuota:
		return core.ValidateResourceQuota(o)
	case *corev1.LimitRange:
		return core.ValidateLimitRange(o)
	case *corev1.Event:
		return core.ValidateEvent(o)
	default:
		return validateOtherGroupsCreate(obj)
	}
}
