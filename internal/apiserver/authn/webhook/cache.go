package webhook

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Cache keeps values for a TTL each, holding at most max entries: when
// full, expired entries are dropped first and, if none are, everything.
// It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	clock clock.PassiveClock
	max   int
	mu    sync.Mutex
	items map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	val     V
	expires time.Time
}

// NewCache returns an empty cache (max <= 0 means 4096).
func NewCache[K comparable, V any](clk clock.PassiveClock, max int) *Cache[K, V] {
	if max <= 0 {
		max = 4096
	}
	return &Cache[K, V]{clock: clk, max: max, items: map[K]cacheEntry[V]{}}
}

// Get returns the value of k unless it is absent or expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok || !c.clock.Now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.val, true
}

// Set keeps v for ttl; a ttl <= 0 stores nothing.
func (c *Cache[K, V]) Set(k K, v V, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if _, ok := c.items[k]; !ok && len(c.items) >= c.max {
		for key, e := range c.items {
			if !now.Before(e.expires) {
				delete(c.items, key)
			}
		}
		if len(c.items) >= c.max {
			clear(c.items)
		}
	}
	c.items[k] = cacheEntry[V]{val: v, expires: now.Add(ttl)}
}

// Len is the number of entries held, expired or not.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
