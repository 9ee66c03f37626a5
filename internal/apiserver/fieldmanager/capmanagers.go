package fieldmanager

import (
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// ancientChanges is the Update entry older updaters are folded into once
// an object has more than the allowed number of Update entries.
const ancientChanges = "ancient-changes"

// capUpdaters folds the oldest Update entries into one ancientChanges entry
// per apiVersion until at most m.maxUpdates Update entries remain. Apply
// entries are never folded.
func (m *Manager) capUpdaters(mf managed) managed {
	if m.maxUpdates <= 0 {
		return mf
	}
	var updaters []string
	for key, vs := range mf.fields {
		if !vs.Applied() {
			updaters = append(updaters, key)
		}
	}
	if len(updaters) <= m.maxUpdates {
		return mf
	}
	sort.Slice(updaters, func(i, j int) bool {
		ti, tj := unixOf(mf.times[updaters[i]]), unixOf(mf.times[updaters[j]])
		if ti != tj {
			return ti < tj
		}
		return updaters[i] < updaters[j]
	})
	count := len(updaters)
	for _, key := range updaters {
		if count <= m.maxUpdates {
			break
		}
		vs := mf.fields[key]
		bucket, err := mf.keyOf(metav1.ManagedFieldsEntry{
			Manager: ancientChanges, Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: string(vs.APIVersion()),
		})
		if err != nil || bucket == key {
			continue
		}
		set := vs.Set()
		if prev, ok := mf.fields[bucket]; ok {
			set = set.Union(prev.Set())
		} else {
			count++ // the bucket is a new Update entry
		}
		mf.fields[bucket] = fieldpath.NewVersionedSet(set, vs.APIVersion(), false)
		mf.times[bucket] = laterOf(mf.times[bucket], mf.times[key])
		delete(mf.fields, key)
		delete(mf.times, key)
		count--
	}
	return mf
}

func laterOf(a, b *metav1.Time) *metav1.Time {
	if a == nil || (b != nil && b.After(a.Time)) {
		return b
	}
	return a
}
