package serviceaccount

import (
	"crypto/sha256"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// DefaultCacheTTL is how long a verified token is remembered: upstream's
// API server caches token authentications for 10 s.
const DefaultCacheTTL = 10 * time.Second

// cacheSize bounds the remembered validations.
const cacheSize = 4096

// tokenCache remembers the claims of tokens whose signature verified, for
// a short time, keyed by the token's SHA-256 (tokens themselves are not
// kept). Entries are read-only once stored. It is safe for concurrent use.
type tokenCache struct {
	ttl   time.Duration
	clock clock.PassiveClock

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	v       *verified
	expires time.Time
}

func newTokenCache(ttl time.Duration, clk clock.PassiveClock) *tokenCache {
	return &tokenCache{ttl: ttl, clock: clk, entries: map[[sha256.Size]byte]cacheEntry{}}
}

// cacheKey is the key of token.
func cacheKey(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// get returns the claims remembered for key, if still fresh.
func (c *tokenCache) get(key [sha256.Size]byte) (*verified, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	if !c.clock.Now().Before(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.v, true
}

// put remembers v for the TTL, or until notAfter (the token's expiry)
// when that is sooner; a full cache first drops stale entries, then
// arbitrary ones.
func (c *tokenCache) put(key [sha256.Size]byte, v *verified, notAfter time.Time) {
	now := c.clock.Now()
	exp := now.Add(c.ttl)
	if !notAfter.IsZero() && notAfter.Before(exp) {
		exp = notAfter
	}
	if !exp.After(now) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= cacheSize {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < cacheSize {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = cacheEntry{v: v, expires: exp}
}
