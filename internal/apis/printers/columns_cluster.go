package printers

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterColumns returns the columns of the networking, discovery, rbac,
// storage, scheduling, node, coordination, certificates and admission kinds,
// or nil when the kind uses the default table.
func clusterColumns(gk schema.GroupKind) []metav1.TableColumnDefinition {
	switch gk.Group {
	case "networking.k8s.io", "discovery.k8s.io":
		return networkColumns(gk.Kind)
	case "rbac.authorization.k8s.io":
		if gk.Kind == "RoleBinding" || gk.Kind == "ClusterRoleBinding" {
			return bindingColumns(gk.Kind)
		}
	case "storage.k8s.io":
		return storageColumns(gk.Kind)
	}
	switch gk {
	case schema.GroupKind{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:
		doc := schedulingv1.PriorityClass{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Value", typeInteger, doc["value"]),
			col("Global-Default", typeBoolean, doc["globalDefault"]),
			ageColumn(),
			wide("PreemptionPolicy", typeString, doc["preemptionPolicy"])}
	case schema.GroupKind{Group: "node.k8s.io", Kind: "RuntimeClass"}:
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Handler", typeString, metav1.ObjectMeta{}.SwaggerDoc()["handler"]), ageColumn()}
	case schema.GroupKind{Group: "coordination.k8s.io", Kind: "Lease"}:
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Holder", typeString, coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]), ageColumn()}
	case schema.GroupKind{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:
		spec := certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(), ageColumn(),
			col("SignerName", typeString, spec["signerName"]),
			col("Requestor", typeString, spec["request"]),
			col("RequestedDuration", typeString, spec["expirationSeconds"]),
			col("Condition", typeString, certificatesv1.CertificateSigningRequestStatus{}.SwaggerDoc()["conditions"])}
	case schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
		schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Webhooks", typeInteger, "Webhooks indicates the number of webhooks registered in this configuration"),
			ageColumn()}
	}
	return nil
}

func networkColumns(kind string) []metav1.TableColumnDefinition {
	switch kind {
	case "NetworkPolicy":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Pod-Selector", typeString, networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]), ageColumn()}
	case "Ingress":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Class", typeString, "The name of the IngressClass resource that should be used for additional configuration"),
			col("Hosts", typeString, "Hosts that incoming requests are matched against before the ingress rule"),
			col("Address", typeString, "Address is a list containing ingress points for the load-balancer"),
			col("Ports", typeString, "Ports of TLS configurations that open"),
			ageColumn()}
	case "IngressClass":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Controller", typeString, "Controller that is responsible for handling this class"),
			col("Parameters", typeString, "A reference to a resource with additional parameters"),
			ageColumn()}
	case "EndpointSlice":
		doc := discoveryv1.EndpointSlice{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(),
			col("AddressType", typeString, doc["addressType"]),
			col("Ports", typeString, doc["ports"]),
			col("Endpoints", typeString, doc["endpoints"]),
			ageColumn()}
	}
	return nil
}

func bindingColumns(kind string) []metav1.TableColumnDefinition {
	what := "roleBinding"
	if kind == "ClusterRoleBinding" {
		what = "clusterRoleBinding"
	}
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Role", typeString, rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"]),
		ageColumn(),
		wide("Users", typeString, "Users in the "+what),
		wide("Groups", typeString, "Groups in the "+what),
		wide("ServiceAccounts", typeString, "ServiceAccounts in the "+what),
	}
}

func storageColumns(kind string) []metav1.TableColumnDefinition {
	switch kind {
	case "StorageClass":
		doc := storagev1.StorageClass{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Provisioner", typeString, doc["provisioner"]),
			col("ReclaimPolicy", typeString, doc["reclaimPolicy"]),
			col("VolumeBindingMode", typeString, doc["volumeBindingMode"]),
			col("AllowVolumeExpansion", typeString, doc["allowVolumeExpansion"]),
			ageColumn()}
	case "CSIDriver":
		doc := storagev1.CSIDriverSpec{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(),
			col("AttachRequired", typeBoolean, doc["attachRequired"]),
			col("PodInfoOnMount", typeBoolean, doc["podInfoOnMount"]),
			col("StorageCapacity", typeBoolean, doc["storageCapacity"]),
			col("TokenRequests", typeString, doc["tokenRequests"]),
			col("RequiresRepublish", typeBoolean, doc["requiresRepublish"]),
			col("Modes", typeString, doc["volumeLifecycleModes"]),
			ageColumn()}
	case "CSINode":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Drivers", typeInteger, "Drivers indicates the number of CSI drivers registered on the node"), ageColumn()}
	case "VolumeAttachment":
		spec := storagev1.VolumeAttachmentSpec{}.SwaggerDoc()
		attacher := col("Attacher", typeString, spec["attacher"])
		attacher.Format = formatName
		return []metav1.TableColumnDefinition{nameColumn(),
			attacher,
			col("PV", typeString, storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
			col("Node", typeString, spec["nodeName"]),
			col("Attached", typeBoolean, storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]),
			ageColumn()}
	}
	return nil
}
