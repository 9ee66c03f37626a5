package history

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/rand"
)

// HashLabel is the label on a ControllerRevision that carries its hash.
const HashLabel = "controller.kubernetes.io/hash"

// maxPrefix keeps revision names within the 253-character name limit.
const maxPrefix = 223

// Patch returns the revision data for a pod template: the strategic merge
// patch {"spec":{"template":{...,"$patch":"replace"}}}. Applying it to the
// owner restores the template, which is how rollback works.
func Patch(template *corev1.PodTemplateSpec) ([]byte, error) {
	raw, err := json.Marshal(template)
	if err != nil {
		return nil, fmt.Errorf("encode pod template: %w", err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return nil, fmt.Errorf("decode pod template: %w", err)
	}
	tmpl["$patch"] = "replace"
	out, err := json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
	if err != nil {
		return nil, fmt.Errorf("encode revision patch: %w", err)
	}
	return out, nil
}

// Template decodes the pod template held by revision data made by Patch.
func Template(data []byte) (*corev1.PodTemplateSpec, error) {
	var p struct {
		Spec struct {
			Template map[string]json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decode revision data: %w", err)
	}
	delete(p.Spec.Template, "$patch")
	raw, err := json.Marshal(p.Spec.Template)
	if err != nil {
		return nil, fmt.Errorf("re-encode revision template: %w", err)
	}
	var t corev1.PodTemplateSpec
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("decode revision template: %w", err)
	}
	return &t, nil
}

// Hash is the short, DNS-safe hash of revision data and a collision count.
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		h.Write([]byte(strconv.FormatInt(int64(*collisionCount), 10)))
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// Name is the revision name "<parent>-<hash>", the parent part cut so the
// whole stays a valid name.
func Name(parent, hash string) string {
	if len(parent) > maxPrefix {
		parent = parent[:maxPrefix]
	}
	return parent + "-" + hash
}

// New builds (does not create) the revision of owner with the given data.
// labels are copied and gain HashLabel, and each of hashKeys, set to the
// hash; the owner gets a controller reference of kind gvk.
func New(owner metav1.Object, gvk schema.GroupVersionKind, labels map[string]string, data []byte, revision int64, collisionCount *int32, hashKeys ...string) *appsv1.ControllerRevision {
	hash := Hash(data, collisionCount)
	l := make(map[string]string, len(labels)+1+len(hashKeys))
	for k, v := range labels {
		l[k] = v
	}
	l[HashLabel] = hash
	for _, k := range hashKeys {
		l[k] = hash
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            Name(owner.GetName(), hash),
			Namespace:       owner.GetNamespace(),
			Labels:          l,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, gvk)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
}

// Equal reports whether two revision data documents are the same JSON
// value (the API server may re-encode what it stores).
func Equal(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// FindEqual returns the revisions whose data equals data, in input order.
func FindEqual(revs []*appsv1.ControllerRevision, data []byte) []*appsv1.ControllerRevision {
	var out []*appsv1.ControllerRevision
	for _, r := range revs {
		if Equal(r.Data.Raw, data) {
			out = append(out, r)
		}
	}
	return out
}

// Sort orders revisions by revision number, then by name; it sorts in place.
func Sort(revs []*appsv1.ControllerRevision) {
	slices.SortStableFunc(revs, func(a, b *appsv1.ControllerRevision) int {
		if a.Revision != b.Revision {
			if a.Revision < b.Revision {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
}

// Next is the revision number after the highest in revs (1 when empty).
func Next(revs []*appsv1.ControllerRevision) int64 {
	var hi int64
	for _, r := range revs {
		hi = max(hi, r.Revision)
	}
	return hi + 1
}

// Prunable returns the revisions to delete so that at most limit revisions
// remain besides those named in live (revisions in use by pods, or current):
// the oldest unused ones go first. revs must be sorted by Sort.
func Prunable(revs []*appsv1.ControllerRevision, live map[string]bool, limit int) []*appsv1.ControllerRevision {
	var unused []*appsv1.ControllerRevision
	for _, r := range revs {
		if !live[r.Name] {
			unused = append(unused, r)
		}
	}
	if limit < 0 {
		limit = 0
	}
	if len(unused) <= limit {
		return nil
	}
	return unused[:len(unused)-limit]
}
