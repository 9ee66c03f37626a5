package endpointslice

import (
	"strconv"
	"sync"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Tracker remembers, per owner key, the slices a controller wrote (by UID,
// with the resourceVersion of the write) and the ones it deleted, so a sync
// never plans from an informer cache that has not caught up with its own
// writes (which would create duplicate slices), and informer events caused
// by its own writes do not queue a needless sync.
//
// Upstream compares metadata.generation; Capstan's API server keeps the
// generation of EndpointSlices at 0, so the tracker compares
// resourceVersions, which in Capstan are etcd revisions (increasing).
type Tracker struct {
	mu sync.Mutex
	m  map[string]map[types.UID]int64
}

// deletedRV marks a slice this controller deleted.
const deletedRV = -1

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{m: map[string]map[types.UID]int64{}} }

func rv(s *discoveryv1.EndpointSlice) int64 {
	n, err := strconv.ParseInt(s.ResourceVersion, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func (t *Tracker) set(key string, uid types.UID, v int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m[key] == nil {
		t.m[key] = map[types.UID]int64{}
	}
	t.m[key][uid] = v
}

// Wrote records a slice as returned by a create or update.
func (t *Tracker) Wrote(key string, s *discoveryv1.EndpointSlice) { t.set(key, s.UID, rv(s)) }

// Deleted records a slice this controller deleted.
func (t *Tracker) Deleted(key string, uid types.UID) { t.set(key, uid, deletedRV) }

// Gone forgets a slice the informer saw deleted.
func (t *Tracker) Gone(key string, uid types.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m[key], uid)
}

// Forget drops everything recorded for key.
func (t *Tracker) Forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// Stale reports whether cached (the informer's slices for key) is older
// than this controller's own writes.
func (t *Tracker) Stale(key string, cached []*discoveryv1.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := make(map[types.UID]int64, len(cached))
	for _, s := range cached {
		seen[s.UID] = rv(s)
	}
	for uid, want := range t.m[key] {
		got, ok := seen[uid]
		switch {
		case want == deletedRV && ok:
			return true
		case want != deletedRV && (!ok || got < want):
			return true
		}
	}
	return false
}

// Own reports whether s, as an informer shows it, is exactly this
// controller's last write (so the event needs no sync).
func (t *Tracker) Own(key string, s *discoveryv1.EndpointSlice) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	want, ok := t.m[key][s.UID]
	return ok && want != deletedRV && want == rv(s)
}
