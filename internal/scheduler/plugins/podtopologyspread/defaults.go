package podtopologyspread

import (
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultingType says which constraints apply to a pod without any
// (upstream PodTopologySpreadArgs.defaultingType).
type DefaultingType string

// Upstream defaulting types.
const (
	// SystemDefaulting applies SystemDefaultConstraints; "" means System.
	SystemDefaulting DefaultingType = "System"
	// ListDefaulting applies Args.DefaultConstraints.
	ListDefaulting DefaultingType = "List"
)

// Args are the plugin's arguments (upstream PodTopologySpreadArgs).
type Args struct {
	DefaultingType DefaultingType
	// DefaultConstraints apply with ListDefaulting; they name no label
	// selector: it is built per pod from the pod's Services and owner.
	DefaultConstraints []v1.TopologySpreadConstraint
}

// SystemDefaultConstraints are upstream's system defaults: ScheduleAnyway
// with maxSkew 3 per node and 5 per zone.
func SystemDefaultConstraints() []v1.TopologySpreadConstraint {
	return []v1.TopologySpreadConstraint{
		{TopologyKey: v1.LabelHostname, WhenUnsatisfiable: v1.ScheduleAnyway, MaxSkew: 3},
		{TopologyKey: v1.LabelTopologyZone, WhenUnsatisfiable: v1.ScheduleAnyway, MaxSkew: 5},
	}
}

// Validate checks a as upstream's argument validation does.
func (a Args) Validate() error {
	switch a.DefaultingType {
	case "", SystemDefaulting:
		if len(a.DefaultConstraints) > 0 {
			return errors.New(`defaultConstraints: must be empty when defaultingType is "System"`)
		}
		return nil
	case ListDefaulting:
	default:
		return fmt.Errorf("defaultingType: unsupported value %q: want System or List", a.DefaultingType)
	}
	type keyAction struct {
		key    string
		action v1.UnsatisfiableConstraintAction
	}
	seen := map[keyAction]bool{}
	for i, c := range a.DefaultConstraints {
		field := fmt.Sprintf("defaultConstraints[%d]", i)
		switch {
		case c.MaxSkew <= 0:
			return fmt.Errorf("%s.maxSkew: %d must be greater than zero", field, c.MaxSkew)
		case c.TopologyKey == "":
			return fmt.Errorf("%s.topologyKey: can not be empty", field)
		case c.WhenUnsatisfiable != v1.DoNotSchedule && c.WhenUnsatisfiable != v1.ScheduleAnyway:
			return fmt.Errorf("%s.whenUnsatisfiable: unsupported value %q", field, c.WhenUnsatisfiable)
		case c.LabelSelector != nil:
			return fmt.Errorf("%s.labelSelector: constraint must not define a selector, as they deduced for each pod", field)
		case seen[keyAction{c.TopologyKey, c.WhenUnsatisfiable}]:
			return fmt.Errorf("%s: duplicate {%q, %q}", field, c.TopologyKey, c.WhenUnsatisfiable)
		}
		seen[keyAction{c.TopologyKey, c.WhenUnsatisfiable}] = true
	}
	return nil
}

// Workloads looks up what selects a pod, to build the selector of its
// default constraints. Returned objects are read-only; nil means not found.
type Workloads interface {
	// Services lists the Services of namespace ns.
	Services(ns string) []*v1.Service
	ReplicationController(ns, name string) *v1.ReplicationController
	ReplicaSet(ns, name string) *appsv1.ReplicaSet
	StatefulSet(ns, name string) *appsv1.StatefulSet
}

// DefaultSelector is upstream's default spreading selector: the union of
// the selectors of the Services selecting pod, and of the selector of its
// controlling ReplicationController, ReplicaSet or StatefulSet. Empty when
// nothing selects the pod (w nil included).
func DefaultSelector(pod *v1.Pod, w Workloads) labels.Selector {
	set := labels.Set{}
	if w == nil {
		return labels.Everything()
	}
	for _, svc := range w.Services(pod.Namespace) {
		// A nil selector selects nothing, not everything.
		if svc.Spec.Selector != nil && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			set = labels.Merge(set, svc.Spec.Selector)
		}
	}
	sel := labels.SelectorFromSet(set)
	owner := metav1.GetControllerOfNoCopy(pod)
	if owner == nil {
		return sel
	}
	gv, err := schema.ParseGroupVersion(owner.APIVersion)
	if err != nil {
		return sel
	}
	var workloadSel *metav1.LabelSelector
	switch gv.WithKind(owner.Kind) {
	case v1.SchemeGroupVersion.WithKind("ReplicationController"):
		if rc := w.ReplicationController(pod.Namespace, owner.Name); rc != nil {
			return labels.SelectorFromSet(labels.Merge(set, rc.Spec.Selector))
		}
		return sel
	case appsv1.SchemeGroupVersion.WithKind("ReplicaSet"):
		if rs := w.ReplicaSet(pod.Namespace, owner.Name); rs != nil {
			workloadSel = rs.Spec.Selector
		}
	case appsv1.SchemeGroupVersion.WithKind("StatefulSet"):
		if ss := w.StatefulSet(pod.Namespace, owner.Name); ss != nil {
			workloadSel = ss.Spec.Selector
		}
	}
	if workloadSel == nil {
		return sel
	}
	other, err := metav1.LabelSelectorAsSelector(workloadSel)
	if err != nil {
		return sel
	}
	if reqs, ok := other.Requirements(); ok {
		sel = sel.Add(reqs...)
	}
	return sel
}
