package quota

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Request is one write under admission.
type Request struct {
	Op Op
	// Subresource is "" for the object itself.
	Subresource string
	Object      runtime.Object
	// OldObject is the stored object on update.
	OldObject runtime.Object
}

// Denied is a refusal: admitting the request would break a quota. Its
// message is upstream's (the server wraps it in a 403).
type Denied struct{ Message string }

func (d *Denied) Error() string { return d.Message }

func denied(format string, args ...any) *Denied {
	return &Denied{Message: fmt.Sprintf(format, args...)}
}

// Check decides r against the quotas of its namespace. It returns the
// quotas as they must be after r (deep copies; status.used raised by what
// r consumes), or a *Denied, or another error for a fault. quotas is not
// changed. A quota the request does not touch comes back equal to its
// input (see Changed).
func Check(ev Evaluator, quotas []corev1.ResourceQuota, r Request) ([]corev1.ResourceQuota, error) {
	if !ev.Handles(r.Op, r.Subresource, r.Object, r.OldObject) {
		return quotas, nil
	}
	var pertinent []int
	for i := range quotas {
		q := &quotas[i]
		ok, err := Matches(ev, q, r.Object)
		if err != nil {
			return nil, fmt.Errorf("match quota %s: %w", q.Name, err)
		}
		if !ok {
			continue
		}
		restricted := ev.MatchingResources(Names(q.Status.Hard))
		if err := ev.Constraints(restricted, r.Object); err != nil {
			return nil, denied("failed quota: %s: %v", q.Name, err)
		}
		for _, n := range restricted {
			if _, ok := q.Status.Used[n]; !ok {
				return nil, denied("status unknown for quota: %s, resources: %s", q.Name, NamesString(restricted))
			}
		}
		pertinent = append(pertinent, i)
	}
	if len(pertinent) == 0 {
		return quotas, nil
	}
	deltas, err := deltas(ev, quotas, pertinent, r)
	if err != nil {
		return nil, err
	}
	if len(deltas) == 0 {
		return quotas, nil
	}
	out := make([]corev1.ResourceQuota, len(quotas))
	for i := range quotas {
		quotas[i].DeepCopyInto(&out[i])
	}
	for _, i := range pertinent {
		delta, ok := deltas[i]
		if !ok {
			continue
		}
		q := &out[i]
		requested := Mask(delta, Names(q.Status.Hard))
		used := Add(q.Status.Used, requested)
		if r.Subresource != "status" {
			if ok, exceeded := LessThanOrEqual(Mask(used, Names(requested)), q.Status.Hard); !ok {
				return nil, denied("exceeded quota: %s, requested: %s, used: %s, limited: %s", q.Name,
					String(Mask(requested, exceeded)), String(Mask(q.Status.Used, exceeded)), String(Mask(q.Status.Hard, exceeded)))
			}
		}
		q.Status.Used = used
	}
	return out, nil
}

// deltas is what r adds to each pertinent quota, without zero entries and
// without quotas it adds nothing to. On update it is the growth over the
// old object for quotas the old object already counted against.
func deltas(ev Evaluator, quotas []corev1.ResourceQuota, pertinent []int, r Request) (map[int]corev1.ResourceList, error) {
	usage, err := ev.Usage(r.Object)
	if err != nil {
		return nil, fmt.Errorf("quota usage: %w", err)
	}
	if neg := Negative(usage); len(neg) > 0 {
		return nil, denied("quota usage is negative for resource(s): %s", NamesString(neg))
	}
	out := make(map[int]corev1.ResourceList, len(pertinent))
	for _, i := range pertinent {
		out[i] = usage
	}
	if r.Op == Update {
		if r.OldObject == nil {
			return nil, denied("unable to get previous usage since prior version of object was not found")
		}
		if m, err := meta.Accessor(r.OldObject); err == nil && m.GetResourceVersion() != "" {
			prev, err := ev.Usage(r.OldObject)
			if err != nil {
				return nil, fmt.Errorf("quota usage of the stored object: %w", err)
			}
			growth := SubtractNonNegative(usage, prev)
			for _, i := range pertinent {
				ok, err := Matches(ev, &quotas[i], r.OldObject)
				if err != nil {
					return nil, fmt.Errorf("match quota %s: %w", quotas[i].Name, err)
				}
				if ok {
					out[i] = growth
				}
			}
		}
	}
	for i, d := range out {
		if d = RemoveZeros(d); len(d) == 0 {
			delete(out, i)
		} else {
			out[i] = d
		}
	}
	return out, nil
}

// Changed returns the indexes of after whose status.used differs from
// before's (both as Check takes and returns them).
func Changed(before, after []corev1.ResourceQuota) []int {
	var out []int
	for i := range after {
		if i >= len(before) || !Equal(before[i].Status.Used, after[i].Status.Used) {
			out = append(out, i)
		}
	}
	return out
}
