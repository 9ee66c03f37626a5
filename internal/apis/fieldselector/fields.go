package fieldselector

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

// Fields returns the selectable field set of obj (typed k8s.io/api object):
// metadata.name, metadata.namespace for namespaced kinds, and the kind's own
// fields. An object without metadata yields an empty set.
func Fields(obj runtime.Object) fields.Set {
	set := kindFields(obj)
	if set == nil {
		set = fields.Set{}
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return set
	}
	set[metaName] = m.GetName()
	if namespaced(obj) {
		set[metaNamespace] = m.GetNamespace()
	}
	return set
}

// kindFields returns the kind-specific fields of obj, or nil.
func kindFields(obj runtime.Object) fields.Set {
	switch o := obj.(type) {
	case *corev1.Pod:
		return podFields(o)
	case *corev1.Node:
		return fields.Set{"spec.unschedulable": strconv.FormatBool(o.Spec.Unschedulable)}
	case *corev1.ReplicationController:
		return fields.Set{"status.replicas": strconv.Itoa(int(o.Status.Replicas))}
	case *appsv1.ReplicaSet:
		return fields.Set{"status.replicas": strconv.Itoa(int(o.Status.Replicas))}
	case *corev1.Event:
		return eventFields(o)
	case *corev1.Namespace:
		return fields.Set{"status.phase": string(o.Status.Phase)}
	case *corev1.Secret:
		return fields.Set{"type": string(o.Type)}
	case *corev1.Service:
		return fields.Set{"spec.clusterIP": o.Spec.ClusterIP, "spec.type": string(o.Spec.Type)}
	case *batchv1.Job:
		return fields.Set{"status.successful": strconv.Itoa(int(o.Status.Succeeded))}
	case *certificatesv1.CertificateSigningRequest:
		return fields.Set{"spec.signerName": o.Spec.SignerName}
	}
	return nil
}

// podFields holds the pod's fields; status.podIP is the first of podIPs, and
// status.podIPs, though an accepted label, has no value (as upstream).
func podFields(p *corev1.Pod) fields.Set {
	podIP := ""
	if len(p.Status.PodIPs) > 0 {
		podIP = p.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             podIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}

// eventFields holds the event's fields; source falls back to the reporting
// controller when the legacy source component is empty.
func eventFields(e *corev1.Event) fields.Set {
	source := e.Source.Component
	if source == "" {
		source = e.ReportingController
	}
	ref := e.InvolvedObject
	return fields.Set{
		"involvedObject.kind":            ref.Kind,
		"involvedObject.namespace":       ref.Namespace,
		"involvedObject.name":            ref.Name,
		"involvedObject.uid":             string(ref.UID),
		"involvedObject.apiVersion":      ref.APIVersion,
		"involvedObject.resourceVersion": ref.ResourceVersion,
		"involvedObject.fieldPath":       ref.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         source,
		"type":                           e.Type,
	}
}

// namespaced reports whether obj's kind is namespaced; the built-in
// cluster-scoped kinds are listed, every other kind is namespaced.
func namespaced(obj runtime.Object) bool {
	gvk := obj.GetObjectKind().GroupVersionKind()
	kind := gvk.Kind
	if kind == "" {
		kind = typeKind(obj)
	}
	switch kind {
	case "Node", "Namespace", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
		"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "PriorityClass",
		"RuntimeClass", "CertificateSigningRequest", "IngressClass",
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
		"CustomResourceDefinition", "APIService", "ComponentStatus":
		return false
	}
	return true
}
