package servicelb

import (
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// errPoolExhausted: no free address of the wanted family is left.
var errPoolExhausted = errors.New("no free address in the load-balancer pool")

// pool hands out one address per Service (by namespace/name key) from a set
// of prefixes. A key keeps its address until released. Not safe for
// concurrent use: the controller serialises calls.
type pool struct {
	prefixes []netip.Prefix
	holder   map[netip.Addr]string // address → key
	byKey    map[string]netip.Addr
}

// newPool checks the prefixes (valid, at least one) and returns an empty
// pool over them.
func newPool(prefixes []netip.Prefix) (*pool, error) {
	if len(prefixes) == 0 {
		return nil, errors.New("load-balancer pool: no prefixes")
	}
	var ps []netip.Prefix
	for _, p := range prefixes {
		if !p.IsValid() {
			return nil, fmt.Errorf("load-balancer pool: invalid prefix %v", p)
		}
		ps = append(ps, p.Masked())
	}
	return &pool{prefixes: ps, holder: map[netip.Addr]string{}, byKey: map[string]netip.Addr{}}, nil
}

// usable reports whether ip may be handed out: inside a prefix and, for
// IPv4 prefixes of /30 and wider, not the network or broadcast address.
func (p *pool) usable(ip netip.Addr) bool {
	for _, pfx := range p.prefixes {
		if !pfx.Contains(ip) {
			continue
		}
		if ip.Is4() && pfx.Bits() < 31 {
			return ip != pfx.Addr() && ip != lastAddr(pfx)
		}
		return true
	}
	return false
}

// lastAddr is the highest address of pfx.
func lastAddr(pfx netip.Prefix) netip.Addr {
	b := pfx.Addr().AsSlice()
	for i := pfx.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// claim gives ip to key when ip is usable and free (or already key's),
// releasing whatever key held before. It reports whether key now holds ip.
func (p *pool) claim(key string, ip netip.Addr) bool {
	if !p.usable(ip) {
		return false
	}
	if h, taken := p.holder[ip]; taken {
		return h == key
	}
	p.release(key)
	p.holder[ip] = key
	p.byKey[key] = ip
	return true
}

// assign returns key's address of family fam: the one it holds, else the
// first of prefer it can claim (its current status, spec.loadBalancerIP),
// else the lowest free address. errPoolExhausted when none is left.
func (p *pool) assign(key string, fam corev1.IPFamily, prefer []netip.Addr) (netip.Addr, error) {
	if ip, ok := p.byKey[key]; ok && familyOf(ip) == fam {
		return ip, nil
	}
	for _, ip := range prefer {
		if familyOf(ip) == fam && p.claim(key, ip) {
			return ip, nil
		}
	}
	for _, pfx := range p.prefixes {
		if familyOf(pfx.Addr()) != fam {
			continue
		}
		for ip := pfx.Addr(); pfx.Contains(ip); ip = ip.Next() {
			if _, taken := p.holder[ip]; !taken && p.claim(key, ip) {
				return ip, nil
			}
			if !ip.Next().IsValid() {
				break
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("assign %s address to %s: %w", fam, key, errPoolExhausted)
}

// release frees key's address, if it holds one.
func (p *pool) release(key string) {
	if ip, ok := p.byKey[key]; ok {
		delete(p.holder, ip)
		delete(p.byKey, key)
	}
}
