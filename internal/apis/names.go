package apis

import (
	appsv1 "k8s.io/api/apps/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/runtime"
)

// nameValidator returns the rule upstream applies to metadata.name (and,
// with prefix set, to generateName) of obj's kind: DNS-1123 labels for
// namespaces and StatefulSets, DNS-1035 labels for services, path segments
// for RBAC objects and certificate signing requests, DNS-1123 subdomains for
// everything else.
func nameValidator(obj runtime.Object) validation.ValidateNameFunc {
	switch obj.(type) {
	case *corev1.Namespace, *appsv1.StatefulSet:
		return validation.NameIsDNSLabel
	case *corev1.Service:
		return validation.NameIsDNS1035Label
	case *rbacv1.Role, *rbacv1.ClusterRole, *rbacv1.RoleBinding, *rbacv1.ClusterRoleBinding,
		*certificatesv1.CertificateSigningRequest:
		return path.ValidatePathSegmentName
	default:
		return validation.NameIsDNSSubdomain
	}
}
