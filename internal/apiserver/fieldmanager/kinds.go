package fieldmanager

import (
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// kindCache keeps, per kind, what every write of that kind needs and what
// does not depend on the object: its merge type, the merge value of its
// zero object (what a create is compared against) and its updaters. All
// are read-only once built, so concurrent requests share them.
type kindCache struct {
	mu       sync.RWMutex
	types    map[schema.GroupVersionKind]typed.ParseableType
	zeros    map[schema.GroupVersionKind]*typed.TypedValue
	updaters map[updaterKey]*merge.Updater
}

type updaterKey struct {
	gvk         schema.GroupVersionKind
	subresource string
}

// cached returns (*m)[k], building and storing it on first use. Concurrent
// first uses may build twice; one result wins.
func cached[K comparable, V any](mu *sync.RWMutex, m *map[K]V, k K, build func() (V, error)) (V, error) {
	mu.RLock()
	v, ok := (*m)[k]
	mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	mu.Lock()
	defer mu.Unlock()
	if *m == nil {
		*m = map[K]V{}
	}
	if prev, ok := (*m)[k]; ok {
		return prev, nil
	}
	(*m)[k] = v
	return v, nil
}

// typeOf returns the parseable merge type of kind gvk.
func (m *Manager) typeOf(gvk schema.GroupVersionKind) (typed.ParseableType, error) {
	return cached(&m.kinds.mu, &m.kinds.types, gvk, func() (typed.ParseableType, error) { return m.buildType(gvk) })
}

// updater returns the merge updater for one request: subresource decides
// which fields a write may own (see ownershipFilter).
func (m *Manager) updater(gvk schema.GroupVersionKind, subresource string) *merge.Updater {
	u, _ := cached(&m.kinds.mu, &m.kinds.updaters, updaterKey{gvk, subresource}, func() (*merge.Updater, error) {
		return m.buildUpdater(gvk, subresource), nil
	})
	return u
}

// zeroOf returns the merge value of kind gvk's zero object. It is shared:
// callers only read it (compare against it), never merge into it.
func (m *Manager) zeroOf(pt typed.ParseableType, gvk schema.GroupVersionKind) (*typed.TypedValue, error) {
	return cached(&m.kinds.mu, &m.kinds.zeros, gvk, func() (*typed.TypedValue, error) { return m.toTyped(pt, gvk, nil) })
}

// liveOrZero reads cur as a merge value, or returns the zero object's
// shared value when cur is nil (a create): the result is only compared
// against.
func (m *Manager) liveOrZero(pt typed.ParseableType, gvk schema.GroupVersionKind, cur runtime.Object) (*typed.TypedValue, error) {
	if cur == nil {
		return m.zeroOf(pt, gvk)
	}
	return m.toTyped(pt, gvk, cur)
}
