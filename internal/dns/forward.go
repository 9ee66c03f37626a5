package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
	"k8s.io/utils/clock"
)

// Forwarder defaults.
const (
	DefaultForwardTimeout = 2 * time.Second
	defaultCacheSize      = 10000
	defaultMaxCacheTTL    = 30 * time.Second
)

// ForwarderOptions configures a Forwarder.
type ForwarderOptions struct {
	// Upstreams are resolver addresses, "host" or "host:port" (port 53 by
	// default), tried in order.
	Upstreams []string
	// Timeout bounds one attempt at one upstream; 0 means
	// DefaultForwardTimeout.
	Timeout time.Duration
	// CacheSize caps the cached replies; 0 means 10000, negative disables
	// the cache.
	CacheSize int
	// MaxCacheTTL caps how long a reply is cached; 0 means 30s.
	MaxCacheTTL time.Duration
	// Clock is used for cache expiry; nil means the real clock.
	Clock clock.PassiveClock
}

// Forwarder is an Exchanger sending queries to upstream resolvers over UDP
// (retrying over TCP when the reply is truncated) and caching successful
// and negative replies briefly. It is safe for concurrent use.
type Forwarder struct {
	upstreams []string
	timeout   time.Duration
	udp, tcp  *mdns.Client
	cache     *replyCache
}

var _ Exchanger = (*Forwarder)(nil)

// NewForwarder returns a Forwarder; it fails when an upstream address is
// malformed or there is none.
func NewForwarder(opts ForwarderOptions) (*Forwarder, error) {
	if len(opts.Upstreams) == 0 {
		return nil, errors.New("new forwarder: no upstream resolvers")
	}
	f := &Forwarder{timeout: opts.Timeout}
	for _, u := range opts.Upstreams {
		addr, err := upstreamAddr(u)
		if err != nil {
			return nil, fmt.Errorf("new forwarder: %w", err)
		}
		f.upstreams = append(f.upstreams, addr)
	}
	if f.timeout <= 0 {
		f.timeout = DefaultForwardTimeout
	}
	f.udp = &mdns.Client{Net: "udp", Timeout: f.timeout, UDPSize: ednsUDPSize}
	f.tcp = &mdns.Client{Net: "tcp", Timeout: f.timeout}
	if opts.CacheSize >= 0 {
		f.cache = newReplyCache(opts)
	}
	return f, nil
}

// upstreamAddr normalises "host" or "host:port" to "host:port".
func upstreamAddr(s string) (string, error) {
	if host, port, err := net.SplitHostPort(s); err == nil {
		if host == "" || port == "" {
			return "", fmt.Errorf("upstream %q: missing host or port", s)
		}
		return s, nil
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("empty upstream address")
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53"), nil
}

// Exchange implements Exchanger. Upstreams are tried in order; a SERVFAIL
// or REFUSED reply moves on to the next one and is returned only when no
// upstream did better.
func (f *Forwarder) Exchange(ctx context.Context, req *mdns.Msg) (*mdns.Msg, error) {
	if f.cache != nil {
		if resp := f.cache.get(req); resp != nil {
			return resp, nil
		}
	}
	var lastReply *mdns.Msg
	var errs []error
	for _, up := range f.upstreams {
		resp, err := f.exchangeOne(ctx, req, up)
		if err != nil {
			errs = append(errs, fmt.Errorf("upstream %s: %w", up, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if resp.Rcode == mdns.RcodeServerFailure || resp.Rcode == mdns.RcodeRefused {
			lastReply = resp
			continue
		}
		if f.cache != nil {
			f.cache.put(req, resp)
		}
		return resp, nil
	}
	if lastReply != nil {
		return lastReply, nil
	}
	return nil, fmt.Errorf("forward %s: %w", req.Question[0].Name, errors.Join(errs...))
}

// exchangeOne asks one upstream, over TCP when the UDP reply is truncated.
func (f *Forwarder) exchangeOne(ctx context.Context, req *mdns.Msg, up string) (*mdns.Msg, error) {
	q := req.Copy()
	q.Id = mdns.Id()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	resp, _, err := f.udp.ExchangeContext(ctx, q, up)
	if err == nil && resp.Truncated {
		resp, _, err = f.tcp.ExchangeContext(ctx, q, up)
	}
	if err != nil {
		return nil, err
	}
	resp.Id = req.Id
	return resp, nil
}

// replyCache keeps upstream replies until their TTL (capped) runs out.
type replyCache struct {
	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
	size    int
	maxTTL  time.Duration
	clock   clock.PassiveClock
}

type cacheKey struct {
	name         string
	qtype        uint16
	qclass       uint16
	do, cd, edns bool
}

type cacheEntry struct {
	reply   *mdns.Msg
	stored  time.Time
	expires time.Time
}

func newReplyCache(opts ForwarderOptions) *replyCache {
	c := &replyCache{entries: map[cacheKey]cacheEntry{}, size: opts.CacheSize, maxTTL: opts.MaxCacheTTL, clock: opts.Clock}
	if c.size == 0 {
		c.size = defaultCacheSize
	}
	if c.maxTTL <= 0 {
		c.maxTTL = defaultMaxCacheTTL
	}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	return c
}

func keyOf(req *mdns.Msg) cacheKey {
	q := req.Question[0]
	k := cacheKey{name: strings.ToLower(q.Name), qtype: q.Qtype, qclass: q.Qclass, cd: req.CheckingDisabled}
	if opt := req.IsEdns0(); opt != nil {
		k.edns, k.do = true, opt.Do()
	}
	return k
}

// get returns a copy of the cached reply for req with its TTLs aged, or nil.
func (c *replyCache) get(req *mdns.Msg) *mdns.Msg {
	now := c.clock.Now()
	c.mu.Lock()
	e, ok := c.entries[keyOf(req)]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		return nil
	}
	resp := e.reply.Copy()
	resp.Id = req.Id
	aged := uint32(now.Sub(e.stored) / time.Second)
	for _, sec := range [][]mdns.RR{resp.Answer, resp.Ns, resp.Extra} {
		for _, rr := range sec {
			if h := rr.Header(); h.Rrtype != mdns.TypeOPT {
				h.Ttl -= min(h.Ttl, aged)
			}
		}
	}
	return resp
}

// put stores resp when it is cacheable: NOERROR with answers for their
// smallest TTL, NODATA and NXDOMAIN for the SOA's negative TTL.
func (c *replyCache) put(req, resp *mdns.Msg) {
	ttl, ok := cacheTTL(resp)
	if !ok {
		return
	}
	ttl = min(ttl, c.maxTTL)
	if ttl <= 0 {
		return
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.size {
		for k, e := range c.entries {
			if !now.Before(e.expires) || len(c.entries) >= c.size {
				delete(c.entries, k)
			}
		}
	}
	c.entries[keyOf(req)] = cacheEntry{reply: resp.Copy(), stored: now, expires: now.Add(ttl)}
}

// cacheTTL is how long resp may be cached; ok is false when it may not.
func cacheTTL(resp *mdns.Msg) (time.Duration, bool) {
	if resp.Truncated || (resp.Rcode != mdns.RcodeSuccess && resp.Rcode != mdns.RcodeNameError) {
		return 0, false
	}
	if resp.Rcode == mdns.RcodeSuccess && len(resp.Answer) > 0 {
		least := ^uint32(0)
		for _, sec := range [][]mdns.RR{resp.Answer, resp.Ns} {
			for _, rr := range sec {
				least = min(least, rr.Header().Ttl)
			}
		}
		return time.Duration(least) * time.Second, true
	}
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second, true
		}
	}
	return 0, false
}
