package printers

import (
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Cells returns obj's row cells in Columns order, including the priority-1
// cells. now is the time ages are computed against. Objects are the typed
// k8s.io/api structs (*corev1.Pod, *appsv1.Deployment, ...); an object of a
// kind without a specific printer gets the default cells (name, creation time).
// The error reports an object without metadata or with a malformed field the
// printer must parse.
func Cells(obj runtime.Object, now time.Time) ([]interface{}, error) {
	if cells, ok, err := coreCells(obj, now); ok {
		return cells, err
	}
	if cells, ok, err := workloadCells(obj, now); ok {
		return cells, err
	}
	if cells, ok := clusterCells(obj, now); ok {
		return cells, nil
	}
	return defaultCells(obj)
}

// defaultCells are the cells of the default table: the name and the creation
// time in RFC 3339, UTC.
func defaultCells(obj runtime.Object) ([]interface{}, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("default table cells for %T: %w", obj, err)
	}
	return []interface{}{m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)}, nil
}

func coreCells(obj runtime.Object, now time.Time) ([]interface{}, bool, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return podCells(o, now), true, nil
	case *corev1.PodTemplate:
		names, images := containerCells(o.Template.Spec.Containers)
		return []interface{}{o.Name, names, images, formatLabels(o.Template.Labels)}, true, nil
	case *corev1.ReplicationController:
		return replicationControllerCells(o, now), true, nil
	case *corev1.Service:
		return serviceCells(o, now), true, nil
	case *corev1.Endpoints:
		return []interface{}{o.Name, formatEndpoints(o), age(o.CreationTimestamp, now)}, true, nil
	case *corev1.Node:
		return nodeCells(o, now), true, nil
	case *corev1.Event:
		return eventCells(o, now), true, nil
	case *corev1.Namespace:
		return []interface{}{o.Name, string(o.Status.Phase), age(o.CreationTimestamp, now)}, true, nil
	case *corev1.Secret:
		return []interface{}{o.Name, string(o.Type), int64(len(o.Data)), age(o.CreationTimestamp, now)}, true, nil
	case *corev1.ServiceAccount:
		return []interface{}{o.Name, int64(len(o.Secrets)), age(o.CreationTimestamp, now)}, true, nil
	case *corev1.ConfigMap:
		return []interface{}{o.Name, int64(len(o.Data) + len(o.BinaryData)), age(o.CreationTimestamp, now)}, true, nil
	case *corev1.PersistentVolume:
		return persistentVolumeCells(o, now), true, nil
	case *corev1.PersistentVolumeClaim:
		return persistentVolumeClaimCells(o, now), true, nil
	case *corev1.ResourceQuota:
		return resourceQuotaCells(o, now), true, nil
	}
	return nil, false, nil
}

func workloadCells(obj runtime.Object, now time.Time) ([]interface{}, bool, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return deploymentCells(o, now), true, nil
	case *appsv1.ReplicaSet:
		return replicaSetCells(o, now), true, nil
	case *appsv1.StatefulSet:
		return statefulSetCells(o, now), true, nil
	case *appsv1.DaemonSet:
		return daemonSetCells(o, now), true, nil
	case *appsv1.ControllerRevision:
		cells, err := controllerRevisionCells(o, now)
		return cells, true, err
	case *batchv1.Job:
		return jobCells(o, now), true, nil
	case *batchv1.CronJob:
		return cronJobCells(o, now), true, nil
	case *autoscalingv2.HorizontalPodAutoscaler:
		return hpaCells(o, now), true, nil
	case *autoscalingv1.HorizontalPodAutoscaler:
		return hpaCells(hpaV1ToV2(o), now), true, nil
	case *policyv1.PodDisruptionBudget:
		return pdbCells(o, now), true, nil
	}
	return nil, false, nil
}

func clusterCells(obj runtime.Object, now time.Time) ([]interface{}, bool) {
	switch o := obj.(type) {
	case *networkingv1.NetworkPolicy:
		return []interface{}{o.Name, formatLabelSelector(&o.Spec.PodSelector), age(o.CreationTimestamp, now)}, true
	case *networkingv1.Ingress:
		return ingressCells(o, now), true
	case *networkingv1.IngressClass:
		return ingressClassCells(o, now), true
	case *discoveryv1.EndpointSlice:
		return []interface{}{o.Name, string(o.AddressType), formatSlicePorts(o.Ports),
			formatSliceEndpoints(o.Endpoints), age(o.CreationTimestamp, now)}, true
	case *rbacv1.RoleBinding:
		return bindingCells(o.Name, o.RoleRef, o.Subjects, o.CreationTimestamp, now), true
	case *rbacv1.ClusterRoleBinding:
		return bindingCells(o.Name, o.RoleRef, o.Subjects, o.CreationTimestamp, now), true
	case *storagev1.StorageClass:
		return storageClassCells(o, now), true
	case *storagev1.CSIDriver:
		return csiDriverCells(o, now), true
	case *storagev1.CSINode:
		return []interface{}{o.Name, int64(len(o.Spec.Drivers)), age(o.CreationTimestamp, now)}, true
	case *storagev1.VolumeAttachment:
		return volumeAttachmentCells(o, now), true
	case *schedulingv1.PriorityClass:
		return priorityClassCells(o, now), true
	case *nodev1.RuntimeClass:
		return []interface{}{o.Name, o.Handler, age(o.CreationTimestamp, now)}, true
	case *coordinationv1.Lease:
		return leaseCells(o, now), true
	case *certificatesv1.CertificateSigningRequest:
		return csrCells(o, now), true
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		return []interface{}{o.Name, int64(len(o.Webhooks)), age(o.CreationTimestamp, now)}, true
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		return []interface{}{o.Name, int64(len(o.Webhooks)), age(o.CreationTimestamp, now)}, true
	}
	return nil, false
}
