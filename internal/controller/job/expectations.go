package job

import (
	"strconv"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

// expectationTTL bounds how long a Job waits for the informer to show its
// own creations and deletions before acting again anyway, as upstream.
const expectationTTL = 5 * time.Minute

// expectations remembers, per Job key, the pod creations and deletions the
// controller made but its informer has not shown yet, and the pods whose
// tracking finalizer it removed. A Job whose pod expectations are pending
// creates and deletes nothing, so a stale cache never double-creates; a pod
// whose finalizer removal is pending is never counted again.
//
// It also remembers the last Job status the controller wrote until the Job
// informer shows it: the pod informer can show a released finalizer before
// the Job informer shows the status that counted that pod, and a sync over
// the older Job would not count the pod at all (and replace it).
type expectations struct {
	mu      sync.Mutex
	pods    map[string]*podExpectation
	removed map[string]sets.Set[types.UID]
	written map[string]*batchv1.Job
}

type podExpectation struct {
	adds    int
	deletes sets.Set[types.UID]
	at      time.Time
}

func newExpectations() *expectations {
	return &expectations{pods: map[string]*podExpectation{}, removed: map[string]sets.Set[types.UID]{}, written: map[string]*batchv1.Job{}}
}

// wroteStatus records job as the newest version of key, returned by a
// status write.
func (e *expectations) wroteStatus(key string, job *batchv1.Job) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.written[key] = job
}

// freshest returns the Job a sync should start from: the version the
// controller wrote last while the informer still shows an older one, else
// cached. Capstan's resourceVersions are etcd revisions, so they order.
func (e *expectations) freshest(key string, cached *batchv1.Job) *batchv1.Job {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.written[key]
	if !ok {
		return cached
	}
	wrote, err1 := strconv.ParseUint(w.ResourceVersion, 10, 64)
	seen, err2 := strconv.ParseUint(cached.ResourceVersion, 10, 64)
	if err1 != nil || err2 != nil || w.UID != cached.UID || seen >= wrote {
		delete(e.written, key)
		return cached
	}
	return w
}

// satisfied is true when nothing is pending for key or the expectation
// expired at now.
func (e *expectations) satisfied(key string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	pe := e.pods[key]
	return pe == nil || (pe.adds <= 0 && pe.deletes.Len() == 0) || now.Sub(pe.at) > expectationTTL
}

// expect records creations and deletions about to be made for key.
func (e *expectations) expect(key string, adds int, deletes []types.UID, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pods[key] = &podExpectation{adds: adds, deletes: sets.New(deletes...), at: now}
}

// created lowers the pending creations of key by one (a pod appeared, or
// a create call failed).
func (e *expectations) created(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pe := e.pods[key]; pe != nil {
		pe.adds--
	}
}

// deleted marks a pod's deletion as observed (or as failed to happen).
func (e *expectations) deleted(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pe := e.pods[key]; pe != nil {
		pe.deletes.Delete(uid)
	}
}

// finalizerRemoved records that the tracking finalizer of uid is gone.
func (e *expectations) finalizerRemoved(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.removed[key] == nil {
		e.removed[key] = sets.New[types.UID]()
	}
	e.removed[key].Insert(uid)
}

// finalizerObserved forgets uid once the informer shows the pod without the
// finalizer, or gone.
func (e *expectations) finalizerObserved(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.removed[key]; s != nil {
		s.Delete(uid)
		if s.Len() == 0 {
			delete(e.removed, key)
		}
	}
}

// isRemoved reports whether uid's finalizer removal is pending observation.
func (e *expectations) isRemoved(key string, uid types.UID) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.removed[key].Has(uid)
}

// forget drops everything about key (the Job is gone).
func (e *expectations) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pods, key)
	delete(e.removed, key)
	delete(e.written, key)
}
