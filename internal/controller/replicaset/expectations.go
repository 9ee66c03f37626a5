package replicaset

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// ExpectationsTTL is how long unobserved expectations block a sync before
// they are considered lost (upstream uses 5 minutes).
const ExpectationsTTL = 5 * time.Minute

// Expectations records, per controller key, the pod creations and deletions
// a sync issued and the informer has not yet observed. While some are
// outstanding, the controller must not create or delete more pods, because
// its cache does not yet show the previous ones. Safe for concurrent use.
// Deployment uses the same type for ReplicaSets.
type Expectations struct {
	mu    sync.Mutex
	clock clock.PassiveClock
	items map[string]*expectation
}

type expectation struct {
	adds int
	dels map[string]struct{}
	at   time.Time
}

// NewExpectations returns empty expectations timed by c.
func NewExpectations(c clock.PassiveClock) *Expectations {
	return &Expectations{clock: c, items: map[string]*expectation{}}
}

// Satisfied reports whether key may be synced: nothing is outstanding, or
// the outstanding expectations are older than ExpectationsTTL.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.items[key]
	if !ok {
		return true
	}
	if x.adds <= 0 && len(x.dels) == 0 {
		return true
	}
	return e.clock.Since(x.at) > ExpectationsTTL
}

// ExpectCreations replaces the expectations of key with n creations.
func (e *Expectations) ExpectCreations(key string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.items[key] = &expectation{adds: n, at: e.clock.Now()}
}

// ExpectDeletions replaces the expectations of key with the deletion of the
// objects named by objKeys (namespace/name).
func (e *Expectations) ExpectDeletions(key string, objKeys []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := &expectation{dels: map[string]struct{}{}, at: e.clock.Now()}
	for _, k := range objKeys {
		x.dels[k] = struct{}{}
	}
	e.items[key] = x
}

// CreationObserved lowers the outstanding creations of key by one; it is
// also called for creations that were skipped or failed.
func (e *Expectations) CreationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.items[key]; ok && x.adds > 0 {
		x.adds--
	}
}

// DeletionObserved marks the deletion of objKey as seen (or as failed).
func (e *Expectations) DeletionObserved(key, objKey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x, ok := e.items[key]; ok {
		delete(x.dels, objKey)
	}
}

// Forget drops all expectations of key (the controller object is gone).
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.items, key)
}
