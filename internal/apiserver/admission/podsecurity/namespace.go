package podsecurity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

func pods() schema.GroupVersionResource { return corev1.SchemeGroupVersion.WithResource("pods") }

// validateNamespace refuses invalid pod-security labels with a 422 and,
// when an update changes the enforce level, warns about the namespace's
// pods that would violate it.
func (p *Plugin) validateNamespace(ctx context.Context, a *admission.Attributes) error {
	ns, ok := a.Object.(*corev1.Namespace)
	if !ok || a.Subresource != "" {
		return nil
	}
	policy, errs := PolicyFor(ns.Labels)
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Namespace").GroupKind(), ns.Name, errs)
	}
	old, ok := a.OldObject.(*corev1.Namespace)
	if a.Operation != admission.Update || !ok || policy.Enforce.Level == Privileged {
		return nil
	}
	if oldPolicy, _ := PolicyFor(old.Labels); oldPolicy.Enforce == policy.Enforce {
		return nil
	}
	objs, err := p.Lookup.List(ctx, pods(), ns.Name)
	if err != nil {
		return fmt.Errorf("list pods in %s: %w", ns.Name, err)
	}
	var list []*corev1.Pod
	for _, o := range objs {
		if pod, ok := o.(*corev1.Pod); ok {
			list = append(list, pod)
		}
	}
	if warnings := ExistingPodWarnings(ns.Name, policy.Enforce, list); len(warnings) > 0 {
		for _, w := range warnings {
			a.AddWarning(w)
		}
	}
	return nil
}

// ExistingPodWarnings returns upstream's warnings about pods violating a
// namespace's new enforce level: a header, then one line per distinct set
// of reasons naming the first pod (by name) and how many others share it.
// It sorts pods in place.
func ExistingPodWarnings(namespace string, enforce LevelVersion, pods []*corev1.Pod) []string {
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	type group struct {
		first   string
		others  int
		reasons string
	}
	var groups []*group
	for _, pod := range pods {
		vs := Evaluate(enforce.Level, &pod.ObjectMeta, &pod.Spec)
		if len(vs) == 0 {
			continue
		}
		reasons := make([]string, 0, len(vs))
		for _, v := range vs {
			reasons = append(reasons, v.Reason)
		}
		key := strings.Join(uniqueSorted(reasons), ", ")
		i := slices.IndexFunc(groups, func(g *group) bool { return g.reasons == key })
		if i >= 0 {
			groups[i].others++
			continue
		}
		groups = append(groups, &group{first: pod.Name, reasons: key})
	}
	if len(groups) == 0 {
		return nil
	}
	out := []string{fmt.Sprintf("existing pods in namespace %q violate the new PodSecurity enforce level %q", namespace, enforce.String())}
	for _, g := range groups {
		switch g.others {
		case 0:
			out = append(out, fmt.Sprintf("%s: %s", g.first, g.reasons))
		case 1:
			out = append(out, fmt.Sprintf("%s (and 1 other pod): %s", g.first, g.reasons))
		default:
			out = append(out, fmt.Sprintf("%s (and %d other pods): %s", g.first, g.others, g.reasons))
		}
	}
	return out
}
