package quota

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Needed lists the resources whose objects must be read to compute a
// quota limiting hard: pods, services and persistentvolumeclaims when a
// name of theirs is limited, plus every resource named by a count/… or
// legacy count name. Sorted by group then resource, without duplicates.
func Needed(hard corev1.ResourceList) []schema.GroupResource {
	names := Names(hard)
	seen := map[schema.GroupResource]bool{}
	var out []schema.GroupResource
	add := func(gr schema.GroupResource) {
		if !seen[gr] && !Ignored(gr) {
			seen[gr] = true
			out = append(out, gr)
		}
	}
	for _, gr := range []schema.GroupResource{corev1.Resource("persistentvolumeclaims"), corev1.Resource("pods"), corev1.Resource("services")} {
		if len(For(gr, nil).MatchingResources(names)) > 0 {
			add(gr)
		}
	}
	for _, n := range names {
		if gr, ok := ParseCountName(n); ok {
			add(gr)
		}
		for _, gr := range []schema.GroupResource{corev1.Resource("configmaps"), corev1.Resource("secrets"),
			corev1.Resource("replicationcontrollers"), corev1.Resource("resourcequotas")} {
			if legacyCountName(gr) == n {
				add(gr)
			}
		}
	}
	return out
}

// Used computes what the objects of one resource consume under q, for
// the names of q's spec.hard that resource's objects consume: zero when
// none count. Objects are the resource's objects in q's namespace; now is
// the clock for pods' deletion grace.
func Used(q *corev1.ResourceQuota, gr schema.GroupResource, objs []runtime.Object, now func() time.Time) (corev1.ResourceList, error) {
	ev := For(gr, now)
	matched := ev.MatchingResources(Names(q.Spec.Hard))
	out := Zeros(matched)
	if len(matched) == 0 {
		return out, nil
	}
	sels := Selectors(q)
	for _, o := range objs {
		ok, err := MatchesScopes(ev, sels, o)
		if err != nil {
			return nil, fmt.Errorf("match scopes of quota %s: %w", q.Name, err)
		}
		if !ok {
			continue
		}
		u, err := ev.Usage(o)
		if err != nil {
			return nil, err
		}
		out = Add(out, Mask(u, matched))
	}
	return out, nil
}
