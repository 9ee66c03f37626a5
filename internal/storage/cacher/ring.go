package cacher

import (
	"sort"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// change is one stored change of the resource, as the cache saw it: the
// unfiltered event plus what is needed to filter it for any watcher.
type change struct {
	key string
	// typ is Added, Modified or Deleted.
	typ watch.EventType
	// obj is the new object, or for Deleted the deleted object with
	// resourceVersion equal to rev.
	obj runtime.Object
	// prev is the object this change replaced (nil for Added), with its own
	// older resourceVersion. Shared with the cache; never mutated.
	prev runtime.Object
	rev  int64

	leaveOnce sync.Once
	left      runtime.Object
}

// leaving returns prev as a watcher sees it leave its filter: a copy with
// resourceVersion equal to this change's revision, as storage.Watch reports
// it. The copy is made once and shared.
func (c *change) leaving() runtime.Object {
	c.leaveOnce.Do(func() {
		obj := c.prev.DeepCopyObject()
		if m, err := meta.Accessor(obj); err == nil {
			m.SetResourceVersion(strconv.FormatInt(c.rev, 10))
		}
		c.left = obj
	})
	return c.left
}

// ring is a fixed-capacity buffer of the newest changes in revision order.
// It is not safe for concurrent use; the Cacher guards it.
type ring struct {
	buf   []*change
	start int // index of the oldest change
	n     int // number of changes held
}

func newRing(capacity int) *ring {
	if capacity < 1 {
		capacity = 1
	}
	return &ring{buf: make([]*change, capacity)}
}

// push appends c and returns the change it evicted, if the ring was full.
func (r *ring) push(c *change) (evicted *change) {
	if r.n == len(r.buf) {
		evicted = r.buf[r.start]
		r.buf[r.start] = c
		r.start = (r.start + 1) % len(r.buf)
		return evicted
	}
	r.buf[(r.start+r.n)%len(r.buf)] = c
	r.n++
	return nil
}

func (r *ring) at(i int) *change { return r.buf[(r.start+i)%len(r.buf)] }

// after returns, oldest first, the held changes with revision > rev. The
// slice is a fresh copy; the changes are shared.
func (r *ring) after(rev int64) []*change {
	i := sort.Search(r.n, func(i int) bool { return r.at(i).rev > rev })
	out := make([]*change, 0, r.n-i)
	for ; i < r.n; i++ {
		out = append(out, r.at(i))
	}
	return out
}

// reset drops every change.
func (r *ring) reset() {
	clear(r.buf)
	r.start, r.n = 0, 0
}
