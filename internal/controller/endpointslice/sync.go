package endpointslice

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// errStale makes a sync retry until the informer shows the controller's
// own writes.
var errStale = errors.New("endpointslice informer cache is older than this controller's writes")

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{
		discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: ControllerName}))
	if err != nil {
		return fmt.Errorf("list endpointslices of %s: %w", key, err)
	}
	if c.tracker.Stale(key, cached) {
		return errStale
	}
	svc, err := c.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.triggers.Forget(key)
		return c.writer.Apply(ctx, key, Plan{Delete: serviceOwned(live(cached))})
	}
	if err != nil {
		return fmt.Errorf("get service %s: %w", key, err)
	}
	if svc.Spec.Selector == nil || svc.Spec.Type == corev1.ServiceTypeExternalName || svc.DeletionTimestamp != nil {
		return nil
	}
	pods, err := c.pods.Pods(ns).List(labels.SelectorFromValidatedSet(svc.Spec.Selector))
	if err != nil {
		return fmt.Errorf("list pods of %s: %w", key, err)
	}
	plan, skipped := c.plan(svc, pods, live(cached))
	if trigger := c.triggers.Compute(key, svc, pods); !trigger.IsZero() {
		for _, s := range append(plan.Create, plan.Update...) {
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[corev1.EndpointsLastChangeTriggerTime] = trigger.UTC().Format(time.RFC3339Nano)
		}
	}
	if err := c.writer.Apply(ctx, key, plan); err != nil {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, "FailedToUpdateEndpointSlices",
			"Error updating Endpoint Slices for Service %s/%s: %v", svc.Namespace, svc.Name, err)
		return err
	}
	if len(skipped) > 0 {
		return fmt.Errorf("service %s: pods %s reference nodes that do not exist", key, strings.Join(skipped, ", "))
	}
	return nil
}

// plan computes the writes for svc from its pods and this controller's
// live slices; slices owned by another object (an older Service of the same
// name) or of an address type the Service no longer has are deleted.
func (c *Controller) plan(svc *corev1.Service, pods []*corev1.Pod, existing []*discoveryv1.EndpointSlice) (Plan, []string) {
	var p Plan
	byType := map[discoveryv1.AddressType][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		ref := metav1.GetControllerOfNoCopy(s)
		if ref == nil || ref.UID != svc.UID {
			p.Delete = append(p.Delete, s)
			continue
		}
		byType[s.AddressType] = append(byType[s.AddressType], s)
	}
	lbls := SliceLabels(svc)
	var skipped []string
	nodes := func(name string) (*corev1.Node, bool) {
		n, err := c.nodes.Get(name)
		return n, err == nil
	}
	for _, f := range ServiceFamilies(svc) {
		at := AddressType(f)
		d, sk := DesiredEndpoints(svc, pods, nodes, f)
		skipped = append(skipped, sk...)
		fp := PlanSlices(PlanInput{Existing: byType[at], Desired: d, Max: c.max, Labels: lbls,
			New: func(ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice { return NewSlice(svc, at, ports) }, Placeholder: true})
		delete(byType, at)
		p.Create, p.Update, p.Delete = append(p.Create, fp.Create...), append(p.Update, fp.Update...), append(p.Delete, fp.Delete...)
	}
	for _, rest := range byType {
		p.Delete = append(p.Delete, rest...)
	}
	// No recycling across address types (immutable) or owners: PlanSlices
	// already recycled within each address type.
	return p, skipped
}

// SliceLabels are the labels of svc's slices: the Service's own labels
// (less the reserved keys), the headless marker, service name and manager.
func SliceLabels(svc *corev1.Service) map[string]string {
	out := make(map[string]string, len(svc.Labels)+3)
	for k, v := range svc.Labels {
		if k == discoveryv1.LabelServiceName || k == discoveryv1.LabelManagedBy || k == corev1.IsHeadlessService {
			continue
		}
		out[k] = v
	}
	if Headless(svc) {
		out[corev1.IsHeadlessService] = ""
	}
	out[discoveryv1.LabelServiceName] = svc.Name
	out[discoveryv1.LabelManagedBy] = ControllerName
	return out
}

// NewSlice is an empty slice of svc for ports: generateName "<svc>-" and a
// controller ownerReference to the Service.
func NewSlice(svc *corev1.Service, at discoveryv1.AddressType, ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	ref := metav1.NewControllerRef(svc, corev1.SchemeGroupVersion.WithKind("Service"))
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{GenerateName: svc.Name + "-", Namespace: svc.Namespace,
			OwnerReferences: []metav1.OwnerReference{*ref}},
		AddressType: at,
		Ports:       ports,
	}
}

// serviceOwned keeps the slices a Service controls; a slice without an
// owner (the API server's own "kubernetes" slice) is never deleted here.
func serviceOwned(in []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := make([]*discoveryv1.EndpointSlice, 0, len(in))
	for _, s := range in {
		if ref := metav1.GetControllerOfNoCopy(s); ref != nil && ref.Kind == "Service" {
			out = append(out, s)
		}
	}
	return out
}

// live drops slices already being deleted.
func live(in []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := make([]*discoveryv1.EndpointSlice, 0, len(in))
	for _, s := range in {
		if s.DeletionTimestamp == nil {
			out = append(out, s)
		}
	}
	return out
}
