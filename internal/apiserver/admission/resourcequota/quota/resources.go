package quota

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Add returns a+b for every name in either list (a new list; the inputs
// are not changed).
func Add(a, b corev1.ResourceList) corev1.ResourceList {
	out := make(corev1.ResourceList, len(a)+len(b))
	for k, v := range a {
		out[k] = v.DeepCopy()
	}
	for k, v := range b {
		q, ok := out[k]
		if !ok {
			out[k] = v.DeepCopy()
			continue
		}
		q.Add(v)
		out[k] = q
	}
	return out
}

// SubtractNonNegative returns a-b, with every negative difference raised
// to zero (usage never goes down on an update below what it was).
func SubtractNonNegative(a, b corev1.ResourceList) corev1.ResourceList {
	out := make(corev1.ResourceList, len(a))
	for k, v := range a {
		q := v.DeepCopy()
		if old, ok := b[k]; ok {
			q.Sub(old)
		}
		if q.Sign() < 0 {
			q = resource.Quantity{Format: v.Format}
		}
		out[k] = q
	}
	return out
}

// Mask keeps only the given names of l.
func Mask(l corev1.ResourceList, names []corev1.ResourceName) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, n := range names {
		if v, ok := l[n]; ok {
			out[n] = v.DeepCopy()
		}
	}
	return out
}

// RemoveZeros drops the zero quantities of l.
func RemoveZeros(l corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range l {
		if !v.IsZero() {
			out[k] = v
		}
	}
	return out
}

// Negative names the resources of l with a negative quantity, sorted.
func Negative(l corev1.ResourceList) []corev1.ResourceName {
	var out []corev1.ResourceName
	for k, v := range l {
		if v.Sign() < 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Equal reports whether a and b hold the same names with equal quantities.
func Equal(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

// LessThanOrEqual reports whether every quantity of a is at most the one
// of the same name in b; names missing from b are not limited. It returns
// the names that exceed, sorted.
func LessThanOrEqual(a, b corev1.ResourceList) (bool, []corev1.ResourceName) {
	var exceeded []corev1.ResourceName
	for k, v := range a {
		if limit, ok := b[k]; ok && v.Cmp(limit) > 0 {
			exceeded = append(exceeded, k)
		}
	}
	slices.Sort(exceeded)
	return len(exceeded) == 0, exceeded
}

// Names returns the names of l, sorted.
func Names(l corev1.ResourceList) []corev1.ResourceName {
	out := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Zeros returns a list with a zero quantity for every name.
func Zeros(names []corev1.ResourceName) corev1.ResourceList {
	out := make(corev1.ResourceList, len(names))
	for _, n := range names {
		out[n] = resource.Quantity{Format: resource.DecimalSI}
	}
	return out
}

// String prints l as upstream's quota messages do: name=quantity pairs
// sorted by name, joined by commas ("pods=1,requests.cpu=500m").
func String(l corev1.ResourceList) string {
	parts := make([]string, 0, len(l))
	for _, k := range Names(l) {
		v := l[k]
		parts = append(parts, string(k)+"="+v.String())
	}
	return strings.Join(parts, ",")
}

// NamesString prints names sorted and joined by commas.
func NamesString(names []corev1.ResourceName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

func one() resource.Quantity { return *resource.NewQuantity(1, resource.DecimalSI) }
