package fieldselector

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Selectable labels shared by many kinds.
const (
	metaName      = "metadata.name"
	metaNamespace = "metadata.namespace"
)

// Supported reports whether label (e.g. "spec.nodeName") is a selectable field
// of kind gk.
func Supported(gk schema.GroupKind, label string) bool {
	_, err := Convert(gk, label)
	return err == nil
}

// Convert returns the canonical field label for label on kind gk (the same
// label, or the current name of a deprecated alias), or the error upstream's
// API server answers with for an unsupported label; the server wraps that error
// in a 400 Bad Request.
func Convert(gk schema.GroupKind, label string) (string, error) {
	labels, ok := kindLabels(gk)
	if !ok {
		// Kinds without their own conversion accept only object metadata,
		// whatever their scope.
		out, _, err := runtime.DefaultMetaV1FieldSelectorConversion(label, "")
		return out, err
	}
	if gk == (schema.GroupKind{Kind: "Pod"}) && label == "spec.host" {
		return "spec.nodeName", nil
	}
	for _, l := range labels {
		if l == label {
			return label, nil
		}
	}
	if gk == (schema.GroupKind{Group: "batch", Kind: "Job"}) {
		return "", fmt.Errorf("field label %q not supported for batchv1.Job", label)
	}
	return "", fmt.Errorf("field label not supported: %s", label)
}

// kindLabels lists the selectable labels of the kinds that register their own
// field label conversion upstream; ok is false for every other kind.
func kindLabels(gk schema.GroupKind) (labels []string, ok bool) {
	switch gk {
	case schema.GroupKind{Kind: "Pod"}:
		return []string{metaName, metaNamespace, "spec.nodeName", "spec.restartPolicy",
			"spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
			"status.podIP", "status.podIPs", "status.nominatedNodeName"}, true
	case schema.GroupKind{Kind: "Node"}:
		return []string{metaName, "spec.unschedulable"}, true
	case schema.GroupKind{Kind: "ReplicationController"}:
		return []string{metaName, metaNamespace, "status.replicas"}, true
	case schema.GroupKind{Kind: "Event"}:
		return []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
			"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
			"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
			metaNamespace, metaName}, true
	case schema.GroupKind{Kind: "Namespace"}:
		return []string{"status.phase", metaName}, true
	case schema.GroupKind{Kind: "Secret"}:
		return []string{"type", metaNamespace, metaName}, true
	case schema.GroupKind{Kind: "Service"}:
		return []string{metaNamespace, metaName, "spec.clusterIP", "spec.type"}, true
	case schema.GroupKind{Group: "batch", Kind: "Job"}:
		return []string{metaName, metaNamespace, "status.successful"}, true
	case schema.GroupKind{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:
		return []string{metaName, "spec.signerName"}, true
	}
	return nil, false
}
