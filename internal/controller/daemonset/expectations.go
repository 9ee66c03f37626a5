package daemonset

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// expectationTTL bounds how long a sync waits for the informer to show its
// own writes before it trusts the cache again, as upstream.
const expectationTTL = 5 * time.Minute

// expectations records, per DaemonSet key, the pod creations and the pod
// deletions (by UID) a sync made and the informer has not shown yet, so a
// stale cache never makes the next sync create or delete twice.
type expectations struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	m     map[string]*expected
}

type expected struct {
	adds    int
	deletes map[types.UID]bool
	at      time.Time
}

func newExpectations(c clock.PassiveClock) *expectations {
	return &expectations{clock: c, m: make(map[string]*expected)}
}

// Expect replaces the record for key with adds creations and the deletion
// of the pods with uids.
func (e *expectations) Expect(key string, adds int, uids []types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := make(map[types.UID]bool, len(uids))
	for _, u := range uids {
		d[u] = true
	}
	e.m[key] = &expected{adds: adds, deletes: d, at: e.clock.Now()}
}

// Created lowers the expected creations of key by one (an observed pod, or
// a creation that failed and will never be observed).
func (e *expectations) Created(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.m[key]; x != nil && x.adds > 0 {
		x.adds--
	}
}

// Deleted marks the deletion of uid for key as observed.
func (e *expectations) Deleted(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.m[key]; x != nil {
		delete(x.deletes, uid)
	}
}

// Satisfied reports whether key has nothing pending, or its record expired.
func (e *expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.m[key]
	if x == nil {
		return true
	}
	return (x.adds <= 0 && len(x.deletes) == 0) || e.clock.Since(x.at) > expectationTTL
}

// Forget drops the record of key (its DaemonSet is gone).
func (e *expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
