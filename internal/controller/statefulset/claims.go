package statefulset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// newClaim is the PVC of claim template ct for pod ordinal: the template
// with the set's selector labels added.
func newClaim(set *appsv1.StatefulSet, ct *corev1.PersistentVolumeClaim, ordinal int) *corev1.PersistentVolumeClaim {
	claim := ct.DeepCopy()
	claim.ObjectMeta = metav1.ObjectMeta{
		Name:        claimName(set, ct.Name, ordinal),
		Namespace:   set.Namespace,
		Labels:      map[string]string{},
		Annotations: ct.Annotations,
	}
	for k, v := range ct.Labels {
		claim.Labels[k] = v
	}
	if set.Spec.Selector != nil {
		for k, v := range set.Spec.Selector.MatchLabels {
			claim.Labels[k] = v
		}
	}
	claim.Status = corev1.PersistentVolumeClaimStatus{}
	return claim
}

// claimOwners returns the owner references a claim should carry under the
// set's retention policy: a reference to the set when whenDeleted=Delete
// (unless the pod was scaled down and whenScaled=Delete), and to the pod
// when it is scaled down and whenScaled=Delete. References to anything
// else are kept; references to an earlier pod of the same name are
// dropped. changed is false when refs already are so. A claim controlled
// by some other object is left alone, as upstream.
func claimOwners(set *appsv1.StatefulSet, ordinal int, pod *corev1.Pod, refs []metav1.OwnerReference, scaledDown bool) ([]metav1.OwnerReference, bool) {
	name := podName(set, ordinal)
	ours := func(r metav1.OwnerReference) bool {
		return r.UID == set.UID || (r.APIVersion == "v1" && r.Kind == "Pod" && r.Name == name)
	}
	if c := controllerOf(refs); c != nil && !ours(*c) {
		return refs, false
	}
	p := set.Spec.PersistentVolumeClaimRetentionPolicy
	whenDeleted, whenScaled := appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	if p != nil {
		if p.WhenDeleted != "" {
			whenDeleted = p.WhenDeleted
		}
		if p.WhenScaled != "" {
			whenScaled = p.WhenScaled
		}
	}
	podRef := scaledDown && pod != nil && whenScaled == appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	setRef := !podRef && whenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	out := slices.DeleteFunc(slices.Clone(refs), ours)
	if setRef {
		out = append(out, *metav1.NewControllerRef(set, controllerKind()))
	}
	if podRef {
		out = append(out, *metav1.NewControllerRef(pod, schema.GroupVersionKind{Version: "v1", Kind: "Pod"}))
	}
	if len(out) == 0 {
		out = nil
	}
	return out, !equality.Semantic.DeepEqual(out, refs) && !(len(out) == 0 && len(refs) == 0)
}

func controllerOf(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

// ensureClaims creates the missing PVCs of pod ordinal (pod may be nil
// before it exists) and brings owner references of existing ones in line
// with the retention policy.
func (c *Controller) ensureClaims(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int, scaledDown bool) error {
	var errs []error
	for i := range set.Spec.VolumeClaimTemplates {
		ct := &set.Spec.VolumeClaimTemplates[i]
		name := claimName(set, ct.Name, ordinal)
		existing, err := c.pvcLister.PersistentVolumeClaims(set.Namespace).Get(name)
		switch {
		case apierrors.IsNotFound(err):
			errs = append(errs, c.createClaim(ctx, set, ct, ordinal))
		case err != nil:
			errs = append(errs, fmt.Errorf("get claim %s/%s: %w", set.Namespace, name, err))
		case existing.DeletionTimestamp != nil && pod == nil:
			errs = append(errs, fmt.Errorf("claim %s/%s is being deleted, waiting for it to go", set.Namespace, name))
		default:
			errs = append(errs, c.updateClaimOwners(ctx, set, ordinal, pod, existing, scaledDown))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) createClaim(ctx context.Context, set *appsv1.StatefulSet, ct *corev1.PersistentVolumeClaim, ordinal int) error {
	claim := newClaim(set, ct, ordinal)
	claim.OwnerReferences, _ = claimOwners(set, ordinal, nil, nil, false)
	pod := podName(set, ordinal)
	_, err := c.client.CoreV1().PersistentVolumeClaims(set.Namespace).Create(ctx, claim, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		c.recorder.Eventf(set, corev1.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %s", claim.Name, pod, set.Name, err)
		return fmt.Errorf("create claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	if err == nil {
		c.recorder.Eventf(set, corev1.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", claim.Name, pod, set.Name)
	}
	return nil
}

func (c *Controller) updateClaimOwners(ctx context.Context, set *appsv1.StatefulSet, ordinal int, pod *corev1.Pod, claim *corev1.PersistentVolumeClaim, scaledDown bool) error {
	refs, changed := claimOwners(set, ordinal, pod, claim.OwnerReferences, scaledDown)
	if !changed {
		return nil
	}
	next := claim.DeepCopy()
	next.OwnerReferences = refs
	_, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, next, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update owners of claim %s/%s: %w", claim.Namespace, claim.Name, err)
	}
	return nil
}

// podEvent records the outcome of a pod write with upstream wording, e.g.
// "create Pod web-0 in StatefulSet web successful".
func (c *Controller) podEvent(set *appsv1.StatefulSet, verb, pod string, err error) {
	if err == nil {
		reason := "Successful" + verb
		c.recorder.Eventf(set, corev1.EventTypeNormal, reason, "%s Pod %s in StatefulSet %s successful", strings.ToLower(verb), pod, set.Name)
		return
	}
	reason := "Failed" + verb
	c.recorder.Eventf(set, corev1.EventTypeWarning, reason, "%s Pod %s in StatefulSet %s failed error: %s", strings.ToLower(verb), pod, set.Name, err)
}

// fresh returns the live check made before adopting: the set must still
// exist with the same UID and not be being deleted.
func (c *Controller) fresh(set *appsv1.StatefulSet) func(context.Context) error {
	return func(ctx context.Context) error {
		live, err := c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get statefulset %s/%s: %w", set.Namespace, set.Name, err)
		}
		if live.UID != set.UID {
			return fmt.Errorf("statefulset %s/%s was recreated", set.Namespace, set.Name)
		}
		if live.DeletionTimestamp != nil {
			return fmt.Errorf("statefulset %s/%s is being deleted", set.Namespace, set.Name)
		}
		return nil
	}
}
