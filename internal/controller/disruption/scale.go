package disruption

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// scaleSource finds the scale of pods' controllers in the informer caches.
type scaleSource struct {
	rs  appslisters.ReplicaSetLister
	dep appslisters.DeploymentLister
	ss  appslisters.StatefulSetLister
	rc  corelisters.ReplicationControllerLister
}

// controllerScale is a controller (the top one: a Deployment for the pods
// of its ReplicaSets) and its desired replicas.
type controllerScale struct {
	uid   types.UID
	scale int32
}

// expected sums the scale of the controllers of pods, counting each
// controller once; unmanaged names the pods without a controller. A pod
// whose controller is unknown is an error, as upstream.
func (s scaleSource) expected(pods []*corev1.Pod) (total int32, unmanaged []string, err error) {
	seen := map[types.UID]bool{}    // controllerRef UIDs already resolved
	scales := map[types.UID]int32{} // top controller UID → scale
	for _, pod := range pods {
		ref := metav1.GetControllerOf(pod)
		if ref == nil {
			unmanaged = append(unmanaged, pod.Name)
			continue
		}
		if seen[ref.UID] {
			continue
		}
		cs, err := s.find(ref, pod.Namespace)
		if err != nil {
			return 0, nil, err
		}
		if cs == nil {
			return 0, nil, fmt.Errorf("found no controllers for pod %q", pod.Name)
		}
		seen[ref.UID] = true
		scales[cs.uid] = cs.scale
	}
	for _, n := range scales {
		total += n
	}
	return total, unmanaged, nil
}

// find resolves one controller reference; nil when no such controller
// exists in the caches.
func (s scaleSource) find(ref *metav1.OwnerReference, ns string) (*controllerScale, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, nil
	}
	switch {
	case gv.Group == "apps" && ref.Kind == "ReplicaSet":
		rs, err := s.rs.ReplicaSets(ns).Get(ref.Name)
		if err != nil || rs.UID != ref.UID {
			return nil, ignoreNotFound(err)
		}
		if owner := metav1.GetControllerOf(rs); owner != nil && owner.Kind == "Deployment" {
			d, err := s.dep.Deployments(ns).Get(owner.Name)
			if err != nil || d.UID != owner.UID {
				return nil, ignoreNotFound(err)
			}
			return &controllerScale{uid: d.UID, scale: replicas(d.Spec.Replicas)}, nil
		}
		return &controllerScale{uid: rs.UID, scale: replicas(rs.Spec.Replicas)}, nil
	case gv.Group == "apps" && ref.Kind == "StatefulSet":
		ss, err := s.ss.StatefulSets(ns).Get(ref.Name)
		if err != nil || ss.UID != ref.UID {
			return nil, ignoreNotFound(err)
		}
		return &controllerScale{uid: ss.UID, scale: replicas(ss.Spec.Replicas)}, nil
	case gv.Group == "" && ref.Kind == "ReplicationController":
		rc, err := s.rc.ReplicationControllers(ns).Get(ref.Name)
		if err != nil || rc.UID != ref.UID {
			return nil, ignoreNotFound(err)
		}
		return &controllerScale{uid: rc.UID, scale: replicas(rc.Spec.Replicas)}, nil
	}
	return nil, nil
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func ignoreNotFound(err error) error {
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("get controller: %w", err)
}
