package quota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// serviceEvaluator: services, services.nodeports, services.loadbalancers.
type serviceEvaluator struct{}

func (serviceEvaluator) GroupResource() schema.GroupResource { return corev1.Resource("services") }

// Handles creates and updates: an update may change the service type.
func (serviceEvaluator) Handles(op Op, _ string, _, _ runtime.Object) bool {
	return op == Create || op == Update
}

func (serviceEvaluator) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	return intersect(names, []corev1.ResourceName{CountName(corev1.Resource("services")), corev1.ResourceServices,
		corev1.ResourceServicesNodePorts, corev1.ResourceServicesLoadBalancers})
}

func (serviceEvaluator) MatchesScope(corev1.ScopedResourceSelectorRequirement, runtime.Object) (bool, error) {
	return false, nil
}

func (serviceEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

// Usage counts node ports by intent (they may not be allocated yet): every
// port of a NodePort or LoadBalancer service, or only the ports with an
// explicit nodePort when a LoadBalancer opts out of allocating them.
func (serviceEvaluator) Usage(obj runtime.Object) (corev1.ResourceList, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("quota: expected *v1.Service, got %T", obj)
	}
	out := corev1.ResourceList{
		CountName(corev1.Resource("services")): one(),
		corev1.ResourceServices:                one(),
		corev1.ResourceServicesLoadBalancers:   {Format: resource.DecimalSI},
		corev1.ResourceServicesNodePorts:       {Format: resource.DecimalSI},
	}
	ports := int64(len(svc.Spec.Ports))
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(ports, resource.DecimalSI)
	case corev1.ServiceTypeLoadBalancer:
		if a := svc.Spec.AllocateLoadBalancerNodePorts; a != nil && !*a {
			ports = 0
			for _, p := range svc.Spec.Ports {
				if p.NodePort != 0 {
					ports++
				}
			}
		}
		out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(ports, resource.DecimalSI)
		out[corev1.ResourceServicesLoadBalancers] = one()
	}
	return out, nil
}

// storageClassSuffix qualifies per-class names:
// <class>.storageclass.storage.k8s.io/requests.storage.
const storageClassSuffix = ".storageclass.storage.k8s.io/"

// pvcEvaluator: persistentvolumeclaims and requests.storage, overall and
// per storage class.
type pvcEvaluator struct{}

func (pvcEvaluator) GroupResource() schema.GroupResource {
	return corev1.Resource("persistentvolumeclaims")
}

func toPVC(obj runtime.Object) (*corev1.PersistentVolumeClaim, error) {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return nil, fmt.Errorf("quota: expected *v1.PersistentVolumeClaim, got %T", obj)
	}
	return pvc, nil
}

// Handles creates and updates (a resize), and status updates that change
// the allocated storage.
func (pvcEvaluator) Handles(op Op, subresource string, obj, old runtime.Object) bool {
	switch subresource {
	case "":
		return op == Create || op == Update
	case "status":
		pvc, err1 := toPVC(obj)
		prev, err2 := toPVC(old)
		if err1 != nil || err2 != nil {
			return false
		}
		return pvc.Status.AllocatedResources.Storage().Cmp(*prev.Status.AllocatedResources.Storage()) != 0
	}
	return false
}

func (pvcEvaluator) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	var out []corev1.ResourceName
	for _, n := range names {
		switch {
		case n == CountName(corev1.Resource("persistentvolumeclaims")), n == corev1.ResourcePersistentVolumeClaims,
			n == corev1.ResourceRequestsStorage,
			strings.HasSuffix(string(n), storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims)),
			strings.HasSuffix(string(n), storageClassSuffix+string(corev1.ResourceRequestsStorage)):
			out = append(out, n)
		}
	}
	return out
}

func (pvcEvaluator) MatchesScope(corev1.ScopedResourceSelectorRequirement, runtime.Object) (bool, error) {
	return false, nil
}

func (pvcEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

func (pvcEvaluator) Usage(obj runtime.Object) (corev1.ResourceList, error) {
	pvc, err := toPVC(obj)
	if err != nil {
		return nil, err
	}
	out := corev1.ResourceList{
		corev1.ResourcePersistentVolumeClaims:                one(),
		CountName(corev1.Resource("persistentvolumeclaims")): one(),
	}
	class := claimClass(pvc)
	if class != "" {
		out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourcePersistentVolumeClaims))] = one()
	}
	if size, ok := claimStorage(pvc); ok {
		out[corev1.ResourceRequestsStorage] = size
		if class != "" {
			out[corev1.ResourceName(class+storageClassSuffix+string(corev1.ResourceRequestsStorage))] = size.DeepCopy()
		}
	}
	return out, nil
}

// claimClass is the beta annotation if set, else spec.storageClassName.
func claimClass(pvc *corev1.PersistentVolumeClaim) string {
	if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return c
	}
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

// claimStorage is the requested storage in whole bytes, or the allocated
// storage when that is larger.
func claimStorage(pvc *corev1.PersistentVolumeClaim) (resource.Quantity, bool) {
	req, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return resource.Quantity{}, false
	}
	size := req.DeepCopy()
	if alloc, ok := pvc.Status.AllocatedResources[corev1.ResourceStorage]; ok && alloc.Cmp(size) > 0 {
		size = alloc.DeepCopy()
	}
	size.RoundUp(0)
	return size, true
}
