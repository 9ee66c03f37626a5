package quota

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// podResources are the names pods consume besides hugepages and extended
// resources.
func podResources() []corev1.ResourceName {
	return []corev1.ResourceName{
		CountName(corev1.Resource("pods")), corev1.ResourcePods,
		corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
		corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
		corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage,
	}
}

// mustSpecify are the names that, when a quota limits them, every container
// must set explicitly (upstream keeps this for cpu and memory only).
func mustSpecify(name corev1.ResourceName) bool {
	switch name {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
		corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory:
		return true
	}
	return false
}

// isNative: no domain, or a kubernetes.io one.
func isNative(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), "kubernetes.io/")
}

// isExtended is an extended resource a container may request
// (example.com/gpu).
func isExtended(name corev1.ResourceName) bool {
	if isNative(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

type podEvaluator struct{ now func() time.Time }

func (podEvaluator) GroupResource() schema.GroupResource { return corev1.Resource("pods") }

func (podEvaluator) Handles(op Op, subresource string, _, _ runtime.Object) bool {
	return (op == Create && subresource == "") || (op == Update && subresource == "resize")
}

func (podEvaluator) MatchingResources(names []corev1.ResourceName) []corev1.ResourceName {
	out := intersect(names, podResources())
	for _, n := range names {
		s := string(n)
		if strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) || strings.HasPrefix(s, corev1.ResourceRequestsHugePagesPrefix) ||
			(!isNative(n) && strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix)) {
			out = append(out, n)
		}
	}
	return out
}

func toPod(obj runtime.Object) (*corev1.Pod, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("quota: expected *v1.Pod, got %T", obj)
	}
	return pod, nil
}

func (podEvaluator) MatchesScope(req corev1.ScopedResourceSelectorRequirement, obj runtime.Object) (bool, error) {
	pod, err := toPod(obj)
	if err != nil {
		return false, err
	}
	switch req.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return isTerminating(pod), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !isTerminating(pod), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return isBestEffort(pod), nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !isBestEffort(pod), nil
	case corev1.ResourceQuotaScopePriorityClass:
		if req.Operator == corev1.ScopeSelectorOpExists {
			return pod.Spec.PriorityClassName != "", nil
		}
		return scopeSelectorMatches(req, pod.Spec.PriorityClassName)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod), nil
	}
	return false, nil
}

// Constraints lists, per missing name, the containers that do not set it,
// as upstream: `must specify limits.cpu for: a,b; requests.memory for: a`.
func (podEvaluator) Constraints(required []corev1.ResourceName, obj runtime.Object) error {
	pod, err := toPod(obj)
	if err != nil {
		return err
	}
	missing := map[corev1.ResourceName][]string{}
	check := func(c *corev1.Container) {
		has := containerUsage(c.Resources.Requests, c.Resources.Limits)
		for _, r := range required {
			if _, ok := has[r]; mustSpecify(r) && !ok && !slices.Contains(missing[r], c.Name) {
				missing[r] = append(missing[r], c.Name)
			}
		}
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	if len(missing) == 0 {
		return nil
	}
	var parts []string
	keys := mapKeys(missing)
	slices.Sort(keys)
	for _, r := range keys {
		names := missing[r]
		slices.Sort(names)
		parts = append(parts, fmt.Sprintf("%s for: %s", r, strings.Join(names, ",")))
	}
	return fmt.Errorf("must specify %s", strings.Join(parts, "; "))
}

func mapKeys[V any](m map[corev1.ResourceName]V) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Usage: count/pods always (it counts every stored pod); the compute
// resources and pods only while the pod is live (not Succeeded or Failed,
// not past its deletion grace period).
func (e podEvaluator) Usage(obj runtime.Object) (corev1.ResourceList, error) {
	pod, err := toPod(obj)
	if err != nil {
		return nil, err
	}
	out := corev1.ResourceList{CountName(corev1.Resource("pods")): one()}
	if !e.live(pod) {
		return out, nil
	}
	return Add(out, containerUsage(podRequests(pod), podLimits(pod))), nil
}

// live reports whether pod is charged for compute resources.
func (e podEvaluator) live(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil && e.now != nil {
		end := pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second)
		if e.now().After(end) {
			return false
		}
	}
	return true
}

// containerUsage maps requests and limits to quota names: pods=1, the bare
// and requests. names for requests, limits. for limits, hugepages and
// extended resources as requests. only.
func containerUsage(requests, limits corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourcePods: one()}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[r]; ok {
			out[r] = q.DeepCopy()
			out[corev1.ResourceName(corev1.DefaultResourceRequestsPrefix+string(r))] = q.DeepCopy()
		}
		if q, ok := limits[r]; ok {
			out[corev1.ResourceName("limits."+string(r))] = q.DeepCopy()
		}
	}
	for r, q := range requests {
		if strings.HasPrefix(string(r), corev1.ResourceHugePagesPrefix) {
			out[r] = q.DeepCopy()
			out[corev1.ResourceName(corev1.DefaultResourceRequestsPrefix+string(r))] = q.DeepCopy()
		}
		if isExtended(r) {
			out[corev1.ResourceName(corev1.DefaultResourceRequestsPrefix+string(r))] = q.DeepCopy()
		}
	}
	return out
}

// maxInto raises every quantity of dst to at least the one in src.
func maxInto(dst, src corev1.ResourceList) {
	for k, v := range src {
		if cur, ok := dst[k]; !ok || v.Cmp(cur) > 0 {
			dst[k] = v.DeepCopy()
		}
	}
}

// podAmounts computes a pod's effective requests or limits as upstream:
// the sum of app and sidecar containers, raised to the largest regular
// init container plus the sidecars started before it; pod-level
// resources replace cpu and memory when set.
func podAmounts(pod *corev1.Pod, pick func(corev1.ResourceRequirements) corev1.ResourceList) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for i := range pod.Spec.Containers {
		sum = Add(sum, pick(pod.Spec.Containers[i].Resources))
	}
	sidecars, maxInit := corev1.ResourceList{}, corev1.ResourceList{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sum = Add(sum, pick(c.Resources))
			sidecars = Add(sidecars, pick(c.Resources))
			continue
		}
		maxInto(maxInit, Add(sidecars, pick(c.Resources)))
	}
	maxInto(sum, maxInit)
	if pod.Spec.Resources != nil {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := pick(*pod.Spec.Resources)[r]; ok {
				sum[r] = q.DeepCopy()
			}
		}
	}
	return sum
}

// podRequests adds the pod overhead to every resource it names.
func podRequests(pod *corev1.Pod) corev1.ResourceList {
	return Add(podAmounts(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests }), pod.Spec.Overhead)
}

// podLimits adds the pod overhead only to resources that have a limit.
func podLimits(pod *corev1.Pod) corev1.ResourceList {
	limits := podAmounts(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Limits })
	for k, v := range pod.Spec.Overhead {
		if cur, ok := limits[k]; ok {
			cur.Add(v)
			limits[k] = cur
		}
	}
	return limits
}

func isTerminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// isBestEffort: no container and no pod-level resources set cpu or memory.
func isBestEffort(pod *corev1.Pod) bool {
	sets := func(r corev1.ResourceRequirements) bool {
		for _, l := range []corev1.ResourceList{r.Requests, r.Limits} {
			if _, ok := l[corev1.ResourceCPU]; ok {
				return true
			}
			if _, ok := l[corev1.ResourceMemory]; ok {
				return true
			}
		}
		return false
	}
	if pod.Spec.Resources != nil && sets(*pod.Spec.Resources) {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range cs {
			if sets(cs[i].Resources) {
				return false
			}
		}
	}
	return true
}

// crossNamespaceAffinity: a pod (anti-)affinity term names namespaces or
// a namespace selector.
func crossNamespaceAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	if a == nil {
		return false
	}
	var terms []corev1.PodAffinityTerm
	if a.PodAffinity != nil {
		terms = append(terms, a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	if a.PodAntiAffinity != nil {
		terms = append(terms, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
		for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			terms = append(terms, w.PodAffinityTerm)
		}
	}
	for _, t := range terms {
		if len(t.Namespaces) != 0 || t.NamespaceSelector != nil {
			return true
		}
	}
	return false
}
