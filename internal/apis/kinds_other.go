package apis

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apis/autoscaling"
	"github.com/capstan/capstan/internal/apis/batch"
	"github.com/capstan/capstan/internal/apis/certificates"
	"github.com/capstan/capstan/internal/apis/coordination"
	"github.com/capstan/capstan/internal/apis/discovery"
	"github.com/capstan/capstan/internal/apis/networking"
	"github.com/capstan/capstan/internal/apis/node"
	"github.com/capstan/capstan/internal/apis/policy"
	"github.com/capstan/capstan/internal/apis/rbac"
	"github.com/capstan/capstan/internal/apis/scheduling"
	"github.com/capstan/capstan/internal/apis/storage"
)

// defaultOtherGroups covers the kinds outside core/v1 and apps/v1.
func defaultOtherGroups(obj runtime.Object) {
	switch o := obj.(type) {
	case *batchv1.Job:
		batch.DefaultJob(o)
	case *batchv1.CronJob:
		batch.DefaultCronJob(o)
	case *rbacv1.RoleBinding:
		rbac.DefaultRoleBinding(o)
	case *rbacv1.ClusterRoleBinding:
		rbac.DefaultClusterRoleBinding(o)
	case *schedulingv1.PriorityClass:
		scheduling.DefaultPriorityClass(o)
	case *storagev1.StorageClass:
		storage.DefaultStorageClass(o)
	case *networkingv1.NetworkPolicy:
		networking.DefaultNetworkPolicy(o)
	case *discoveryv1.EndpointSlice:
		discovery.DefaultEndpointSlice(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		autoscaling.DefaultHorizontalPodAutoscaler(o)
	case *certificatesv1.CertificateSigningRequest:
		certificates.DefaultCertificateSigningRequest(o)
	}
}

func validateOtherGroupsCreate(obj runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *batchv1.Job:
		return batch.ValidateJob(o)
	case *batchv1.CronJob:
		return batch.ValidateCronJob(o)
	case *rbacv1.Role:
		return rbac.ValidateRole(o)
	case *rbacv1.ClusterRole:
		return rbac.ValidateClusterRole(o)
	case *rbacv1.RoleBinding:
		return rbac.ValidateRoleBinding(o)
	case *rbacv1.ClusterRoleBinding:
		return rbac.ValidateClusterRoleBinding(o)
	case *schedulingv1.PriorityClass:
		return scheduling.ValidatePriorityClass(o)
	case *coordinationv1.Lease:
		return coordination.ValidateLease(o)
	case *storagev1.StorageClass:
		return storage.ValidateStorageClass(o)
	case *policyv1.PodDisruptionBudget:
		return policy.ValidatePodDisruptionBudget(o)
	case *networkingv1.NetworkPolicy:
		return networking.ValidateNetworkPolicy(o)
	case *networkingv1.Ingress:
		return networking.ValidateIngress(o)
	case *networkingv1.IngressClass:
		return networking.ValidateIngressClass(o)
	case *discoveryv1.EndpointSlice:
		return discovery.ValidateEndpointSlice(o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		return autoscaling.ValidateHorizontalPodAutoscaler(o)
	case *certificatesv1.CertificateSigningRequest:
		return certificates.ValidateCertificateSigningRequest(o)
	case *nodev1.RuntimeClass:
		return node.ValidateRuntimeClass(o)
	}
	return nil
}

// validateOtherGroupsUpdate: kinds without update-specific rules get their
// create validation of the new object.
func validateOtherGroupsUpdate(obj, old runtime.Object) field.ErrorList {
	switch o := obj.(type) {
	case *batchv1.Job:
		return batch.ValidateJobUpdate(o, old.(*batchv1.Job))
	case *batchv1.CronJob:
		return batch.ValidateCronJobUpdate(o, old.(*batchv1.CronJob))
	case *rbacv1.RoleBinding:
		return rbac.ValidateRoleBindingUpdate(o, old.(*rbacv1.RoleBinding))
	case *rbacv1.ClusterRoleBinding:
		return rbac.ValidateClusterRoleBindingUpdate(o, old.(*rbacv1.ClusterRoleBinding))
	case *schedulingv1.PriorityClass:
		return scheduling.ValidatePriorityClassUpdate(o, old.(*schedulingv1.PriorityClass))
	case *storagev1.StorageClass:
		return storage.ValidateStorageClassUpdate(o, old.(*storagev1.StorageClass))
	case *networkingv1.IngressClass:
		return networking.ValidateIngressClassUpdate(o, old.(*networkingv1.IngressClass))
	case *discoveryv1.EndpointSlice:
		return discovery.ValidateEndpointSliceUpdate(o, old.(*discoveryv1.EndpointSlice))
	case *nodev1.RuntimeClass:
		return node.ValidateRuntimeClassUpdate(o, old.(*nodev1.RuntimeClass))
	}
	return validateOtherGroupsCreate(obj)
}
