package priority

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "Priority"

// The built-in classes and their values, as upstream.
const (
	SystemNodeCritical    = "system-node-critical"
	SystemClusterCritical = "system-cluster-critical"
	// HighestUserDefinable is the largest value a user class may have.
	HighestUserDefinable int32 = 1000000000
)

// priorityClasses is the resource the plugin reads.
func priorityClasses() schema.GroupVersionResource {
	return schedulingv1.SchemeGroupVersion.WithResource("priorityclasses")
}

// SystemClasses returns the PriorityClasses that exist in every cluster.
func SystemClasses() []*schedulingv1.PriorityClass {
	policy := corev1.PreemptLowerPriority
	mk := func(name string, value int32, desc string) *schedulingv1.PriorityClass {
		p := policy
		return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name},
			Value: value, Description: desc, PreemptionPolicy: &p}
	}
	return []*schedulingv1.PriorityClass{
		mk(SystemNodeCritical, 2*HighestUserDefinable+1000, "Used for system critical pods that must not be moved from their current node."),
		mk(SystemClusterCritical, 2*HighestUserDefinable, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	}
}

// Plugin is the Priority admission plugin.
type Plugin struct {
	Lookup admission.Lookup
}

var (
	_ admission.Mutator   = (*Plugin)(nil)
	_ admission.Validator = (*Plugin)(nil)
)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit sets the priority of a new pod.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := admission.IsPodCreate(a)
	if !ok {
		return nil
	}
	var (
		value  int32
		policy = corev1.PreemptLowerPriority
		pp     = &policy
	)
	if pod.Spec.PriorityClassName == "" {
		def, err := p.globalDefault(ctx)
		if err != nil {
			return fmt.Errorf("failed to get default priority class: %w", err)
		}
		if def != nil {
			pod.Spec.PriorityClassName, value, pp = def.Name, def.Value, def.PreemptionPolicy
		}
	} else {
		obj, err := p.Lookup.Get(ctx, priorityClasses(), "", pod.Spec.PriorityClassName)
		if apierrors.IsNotFound(err) {
			return admission.Forbidden(a, fmt.Errorf("no PriorityClass with name %v was found", pod.Spec.PriorityClassName))
		}
		if err != nil {
			return fmt.Errorf("failed to get PriorityClass with name %s: %w", pod.Spec.PriorityClassName, err)
		}
		pc := obj.(*schedulingv1.PriorityClass)
		value, pp = pc.Value, pc.PreemptionPolicy
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != value {
		return admission.Forbidden(a, fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, value))
	}
	pod.Spec.Priority = &value
	if pod.Spec.PreemptionPolicy != nil && pp != nil && *pod.Spec.PreemptionPolicy != *pp {
		return admission.Forbidden(a, fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, *pp))
	}
	pod.Spec.PreemptionPolicy = pp
	return nil
}

// Validate allows at most one globalDefault PriorityClass.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Resource.GroupResource() != priorityClasses().GroupResource() || a.Subresource != "" ||
		(a.Operation != admission.Create && a.Operation != admission.Update) {
		return nil
	}
	pc, ok := a.Object.(*schedulingv1.PriorityClass)
	if !ok || !pc.GlobalDefault {
		return nil
	}
	def, err := p.globalDefault(ctx)
	if err != nil {
		return fmt.Errorf("failed to get default priority class: %w", err)
	}
	if def != nil && def.Name != pc.Name {
		return admission.Forbidden(a, fmt.Errorf("PriorityClass %v is already marked as default. Only one default can exist", def.Name))
	}
	return nil
}

// globalDefault returns the globalDefault class (the lowest valued one if
// several exist), or nil.
func (p *Plugin) globalDefault(ctx context.Context) (*schedulingv1.PriorityClass, error) {
	objs, err := p.Lookup.List(ctx, priorityClasses(), "")
	if err != nil {
		return nil, fmt.Errorf("list priority classes: %w", err)
	}
	var def *schedulingv1.PriorityClass
	for _, o := range objs {
		pc, ok := o.(*schedulingv1.PriorityClass)
		if ok && pc.GlobalDefault && (def == nil || pc.Value < def.Value) {
			def = pc
		}
	}
	return def, nil
}
