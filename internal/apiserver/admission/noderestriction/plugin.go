package noderestriction

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "NodeRestriction"

const (
	nodeUserPrefix  = "system:node:"
	nodesGroup      = "system:nodes"
	mirrorPodMarker = "kubernetes.io/config.mirror"
)

// Plugin is the NodeRestriction admission plugin.
type Plugin struct {
	// Lookup reads the pods and nodes a decision depends on.
	Lookup admission.Lookup
}

var _ admission.Validator = (*Plugin)(nil)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// nodeIdentity returns the node a user speaks for, and whether the user is
// a node at all (system:node:<name> in system:nodes), as upstream.
func nodeIdentity(u admission.UserInfo) (string, bool) {
	name, ok := strings.CutPrefix(u.Name, nodeUserPrefix)
	if !ok || !slices.Contains(u.Groups, nodesGroup) {
		return "", false
	}
	return name, true
}

// Validate refuses a node's write that upstream's NodeRestriction refuses;
// requests of other users pass untouched.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	node, isNode := nodeIdentity(a.User)
	if !isNode {
		return nil
	}
	if node == "" {
		return admission.Forbidden(a, fmt.Errorf("could not determine node from user %q", a.User.Name))
	}
	switch gr := a.Resource.GroupResource(); {
	case gr == corev1.Resource("pods"):
		return p.pod(ctx, node, a)
	case gr == corev1.Resource("nodes"):
		return admitNode(node, a)
	case gr == corev1.Resource("persistentvolumeclaims"):
		if a.Subresource != "status" {
			return admission.Forbidden(a, errors.New("may only update PVC status"))
		}
		return admitClaimStatus(node, a)
	case gr == corev1.Resource("serviceaccounts"):
		return p.token(ctx, node, a)
	case gr == coordinationv1.Resource("leases"):
		return admitLease(node, a)
	case gr == storagev1.Resource("csinodes"):
		return admitOwnNamed(node, a, "can only access CSINode with the same name as the requesting node")
	}
	return nil
}

// pod handles pods and their status and eviction subresources.
func (p *Plugin) pod(ctx context.Context, node string, a *admission.Attributes) error {
	switch a.Subresource {
	case "":
		switch a.Operation {
		case admission.Create:
			return p.podCreate(ctx, node, a)
		case admission.Delete:
			return p.boundPod(ctx, node, a, a.Name, fmt.Sprintf("node %q can only delete pods with spec.nodeName set to itself", node))
		}
		return admission.Forbidden(a, fmt.Errorf("unexpected operation %q, node %q can only create and delete mirror pods", a.Operation, node))
	case "status":
		if a.Operation != admission.Update {
			return admission.Forbidden(a, fmt.Errorf("unexpected operation %q", a.Operation))
		}
		return podStatus(node, a)
	case "eviction":
		if a.Operation != admission.Create {
			return admission.Forbidden(a, fmt.Errorf("unexpected operation %s", a.Operation))
		}
		name := a.Name
		if ev, ok := a.Object.(*policyv1.Eviction); ok && name == "" {
			name = ev.Name
		}
		if name == "" {
			return admission.Forbidden(a, errors.New("could not determine pod from request data"))
		}
		return p.boundPod(ctx, node, a, name, fmt.Sprintf("node %s can only evict pods with spec.nodeName set to itself", node))
	}
	return admission.Forbidden(a, fmt.Errorf("unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.Subresource))
}

// boundPod lets the request through when pod name in the request's
// namespace is bound to node, else refuses it with why.
func (p *Plugin) boundPod(ctx context.Context, node string, a *admission.Attributes, name, why string) error {
	pod, err := p.getPod(ctx, a.Namespace, name)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return admission.Forbidden(a, err)
	}
	if pod.Spec.NodeName != node {
		return admission.Forbidden(a, errors.New(why))
	}
	return nil
}

func (p *Plugin) getPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	obj, err := p.Lookup.Get(ctx, corev1.SchemeGroupVersion.WithResource("pods"), namespace, name)
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("pod %s/%s is a %T", namespace, name, obj)
	}
	return pod, nil
}

// podCreate admits only a mirror pod bound to node, owned by its Node and
// referencing no other API object.
func (p *Plugin) podCreate(ctx context.Context, node string, a *admission.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	if _, mirror := pod.Annotations[mirrorPodMarker]; !mirror {
		return admission.Forbidden(a, fmt.Errorf("pod does not have %q annotation, node %q can only create mirror pods", mirrorPodMarker, node))
	}
	if pod.Spec.NodeName != node {
		return admission.Forbidden(a, fmt.Errorf("node %q can only create pods with spec.nodeName set to itself", node))
	}
	if err := p.mirrorOwner(ctx, node, pod); err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		return admission.Forbidden(a, err)
	}
	spec := &pod.Spec
	for _, c := range []struct {
		refers bool
		what   string
	}{
		{spec.ServiceAccountName != "", "a service account"},
		{referencesSecrets(spec), "secrets"},
		{referencesConfigMaps(spec), "configmaps"},
		{referencesTrustBundles(spec), "clustertrustbundles"},
		{referencesClaims(spec), "persistentvolumeclaims"},
	} {
		if c.refers {
			return admission.Forbidden(a, fmt.Errorf("node %q can not create pods that reference %s", node, c.what))
		}
	}
	return nil
}

// mirrorOwner checks a mirror pod's single controller reference to node
// (with node's UID); a NotFound error is the node's absence.
func (p *Plugin) mirrorOwner(ctx context.Context, node string, pod *corev1.Pod) error {
	switch refs := pod.OwnerReferences; {
	case len(refs) > 1:
		return fmt.Errorf("node %q can only create pods with a single owner reference set to itself", node)
	case len(refs) == 0:
		return fmt.Errorf("node %q can only create pods with an owner reference set to itself", node)
	}
	owner := pod.OwnerReferences[0]
	if owner.APIVersion != "v1" || owner.Kind != "Node" || owner.Name != node {
		return fmt.Errorf("node %q can only create pods with an owner reference set to itself", node)
	}
	if owner.Controller == nil || !*owner.Controller {
		return fmt.Errorf("node %q can only create pods with a controller owner reference set to itself", node)
	}
	if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
		return fmt.Errorf("node %q must not set blockOwnerDeletion on an owner reference", node)
	}
	obj, err := p.Lookup.Get(ctx, corev1.SchemeGroupVersion.WithResource("nodes"), "", node)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("error looking up node %s to verify uid: %w", node, err)
	}
	if m, err := meta.Accessor(obj); err != nil || owner.UID != m.GetUID() {
		var uid any
		if err == nil {
			uid = m.GetUID()
		}
		return fmt.Errorf("node %s UID mismatch: expected %s got %v", node, owner.UID, uid)
	}
	return nil
}

// podStatus admits a status update of a pod bound to node that leaves the
// pod's labels and resource claim statuses alone.
func podStatus(node string, a *admission.Attributes) error {
	old, ok := a.OldObject.(*corev1.Pod)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.OldObject))
	}
	if old.Spec.NodeName != node {
		return admission.Forbidden(a, fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", node))
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	if !equality.Semantic.DeepEqual(emptyNil(old.Labels), emptyNil(pod.Labels)) {
		return admission.Forbidden(a, fmt.Errorf("node %q cannot update labels through pod status", node))
	}
	if !equality.Semantic.DeepEqual(old.Status.ResourceClaimStatuses, pod.Status.ResourceClaimStatuses) {
		return admission.Forbidden(a, fmt.Errorf("node %q cannot update resource claim statues", node))
	}
	return nil
}

func emptyNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// admitNode admits writes of node's own Node that do not set a
// configSource, change its taints or touch restricted labels.
func admitNode(node string, a *admission.Attributes) error {
	name := a.Name
	if a.Operation == admission.Create && name == "" {
		name = objectName(a.Object)
	}
	if name != node {
		return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to modify node %q", node, name))
	}
	switch a.Operation {
	case admission.Create:
		n, ok := a.Object.(*corev1.Node)
		if !ok {
			return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
		}
		if n.Spec.ConfigSource != nil {
			return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to create pods with a non-nil configSource", node))
		}
		if bad := forbiddenChanges(n.Labels, nil); len(bad) > 0 {
			return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to set the following labels: %s", node, strings.Join(bad, ", ")))
		}
	case admission.Update:
		n, ok := a.Object.(*corev1.Node)
		old, okOld := a.OldObject.(*corev1.Node)
		if !ok || !okOld {
			return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
		}
		if n.Spec.ConfigSource != nil && !equality.Semantic.DeepEqual(n.Spec.ConfigSource, old.Spec.ConfigSource) {
			return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to update configSource to a new non-nil configSource", node))
		}
		if !equality.Semantic.DeepEqual(n.Spec.Taints, old.Spec.Taints) {
			return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to modify taints", node))
		}
		if bad := forbiddenChanges(n.Labels, old.Labels); len(bad) > 0 {
			return admission.Forbidden(a, fmt.Errorf("is not allowed to modify labels: %s", strings.Join(bad, ", ")))
		}
	}
	return nil
}

func objectName(obj runtime.Object) string {
	if obj == nil {
		return ""
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetName()
}

// admitClaimStatus admits a claim status update that changes nothing but
// the status' capacity, conditions and allocation.
func admitClaimStatus(node string, a *admission.Attributes) error {
	if a.Operation != admission.Update {
		return admission.Forbidden(a, fmt.Errorf("unexpected operation %q", a.Operation))
	}
	oldClaim, ok := a.OldObject.(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.OldObject))
	}
	claim, ok := a.Object.(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	strip := func(c *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
		c = c.DeepCopy()
		c.ResourceVersion, c.ManagedFields = "", nil
		c.Status.Capacity, c.Status.Conditions = nil, nil
		c.Status.AllocatedResources, c.Status.AllocatedResourceStatuses = nil, nil
		return c
	}
	if !equality.Semantic.DeepEqual(strip(oldClaim), strip(claim)) {
		return admission.Forbidden(a, fmt.Errorf("node %q is not allowed to update fields other than status.capacity and status.conditions", node))
	}
	return nil
}

// token admits a node's TokenRequest only when it is bound to a pod (by
// name and UID) that runs on the node.
func (p *Plugin) token(ctx context.Context, node string, a *admission.Attributes) error {
	if a.Operation != admission.Create || a.Subresource != "token" {
		return nil
	}
	tr, ok := a.Object.(*authenticationv1.TokenRequest)
	if !ok {
		return admission.Forbidden(a, fmt.Errorf("unexpected type %T", a.Object))
	}
	ref := tr.Spec.BoundObjectRef
	if ref == nil || ref.APIVersion != "v1" || ref.Kind != "Pod" || ref.Name == "" {
		return admission.Forbidden(a, errors.New("node requested token not bound to a pod"))
	}
	if ref.UID == "" {
		return admission.Forbidden(a, errors.New("node requested token with a pod binding without a uid"))
	}
	pod, err := p.getPod(ctx, a.Namespace, ref.Name)
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return admission.Forbidden(a, err)
	}
	if ref.UID != pod.UID {
		return admission.Forbidden(a, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	if pod.Spec.NodeName != node {
		return admission.Forbidden(a, errors.New("node requested token bound to a pod scheduled on a different node"))
	}
	return nil
}

// admitLease admits only the node's own Lease in kube-node-lease.
func admitLease(node string, a *admission.Attributes) error {
	if a.Namespace != corev1.NamespaceNodeLease {
		return admission.Forbidden(a, fmt.Errorf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
	}
	return admitOwnNamed(node, a, "can only access node lease with the same name as the requesting node")
}

// admitOwnNamed admits a write of the object named like node (on create,
// the name in the object).
func admitOwnNamed(node string, a *admission.Attributes, why string) error {
	name := a.Name
	if a.Operation == admission.Create {
		name = objectName(a.Object)
	}
	if name != node {
		return admission.Forbidden(a, errors.New(why))
	}
	return nil
}
