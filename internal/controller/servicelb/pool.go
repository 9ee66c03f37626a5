package servicelb

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// errPoolExhausted: no free address of the wanted family is left.
var errPoolExhausted = errors.New("no free address in the load-balancer pool")

// AddrRange is an inclusive range of addresses of one family.
type AddrRange struct{ First, Last netip.Addr }

func (r AddrRange) String() string {
	if r.First == r.Last {
		return r.First.String()
	}
	return r.First.String() + "-" + r.Last.String()
}

func (r AddrRange) contains(ip netip.Addr) bool {
	return ip.BitLen() == r.First.BitLen() && r.First.Compare(ip) <= 0 && ip.Compare(r.Last) <= 0
}

// PrefixRange is the range of addresses of p a pool hands out: all of them,
// except the network and broadcast addresses of an IPv4 prefix of /30 or
// wider.
func PrefixRange(p netip.Prefix) AddrRange {
	p = p.Masked()
	r := AddrRange{First: p.Addr(), Last: lastAddr(p)}
	if r.First.Is4() && p.Bits() < 31 {
		r.First, r.Last = r.First.Next(), r.Last.Prev()
	}
	return r
}

// ParsePool reads a pool as the --service-lb-pool flag writes it: entries
// separated by commas, each a range "FIRST-LAST" (both addresses of one
// family, FIRST ≤ LAST), a CIDR (see PrefixRange) or one address. The
// ranges must not overlap.
func ParsePool(text string) ([]AddrRange, error) {
	var out []AddrRange
	for _, entry := range strings.Split(text, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		r, err := parseRange(entry)
		if err != nil {
			return nil, fmt.Errorf("load-balancer pool entry %q: %w", entry, err)
		}
		out = append(out, r)
	}
	if err := checkRanges(out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseRange(entry string) (AddrRange, error) {
	if first, last, ok := strings.Cut(entry, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(first))
		if err != nil {
			return AddrRange{}, err
		}
		b, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return AddrRange{}, err
		}
		return AddrRange{First: a.Unmap(), Last: b.Unmap()}, nil
	}
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return AddrRange{}, err
		}
		if p.Addr().Is4In6() {
			return AddrRange{}, errors.New("IPv4-mapped IPv6 prefixes are not supported; write the IPv4 prefix")
		}
		return PrefixRange(p), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return AddrRange{}, err
	}
	return AddrRange{First: a.Unmap(), Last: a.Unmap()}, nil
}

// checkRanges rejects an empty pool, malformed ranges and overlaps.
func checkRanges(ranges []AddrRange) error {
	if len(ranges) == 0 {
		return errors.New("load-balancer pool: no addresses")
	}
	for _, r := range ranges {
		switch {
		case !r.First.IsValid() || !r.Last.IsValid() || r.First.Zone() != "" || r.Last.Zone() != "":
			return fmt.Errorf("load-balancer pool: invalid range %v", r)
		case r.First.BitLen() != r.Last.BitLen():
			return fmt.Errorf("load-balancer pool: range %v mixes IPv4 and IPv6", r)
		case r.First.Compare(r.Last) > 0:
			return fmt.Errorf("load-balancer pool: range %v is empty (first address after last)", r)
		}
	}
	sorted := slices.Clone(ranges)
	slices.SortFunc(sorted, func(a, b AddrRange) int { return a.First.Compare(b.First) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i-1].contains(sorted[i].First) {
			return fmt.Errorf("load-balancer pool: ranges %v and %v overlap", sorted[i-1], sorted[i])
		}
	}
	return nil
}

// pool hands out one address per Service (by namespace/name key) from a set
// of ranges. A key keeps its address until released. Not safe for
// concurrent use: the controller serialises calls.
type pool struct {
	ranges []AddrRange
	holder map[netip.Addr]string // address → key
	byKey  map[string]netip.Addr
}

// newPool checks the ranges (see ParsePool) and returns an empty pool over
// them.
func newPool(ranges []AddrRange) (*pool, error) {
	if err := checkRanges(ranges); err != nil {
		return nil, err
	}
	return &pool{ranges: slices.Clone(ranges), holder: map[netip.Addr]string{}, byKey: map[string]netip.Addr{}}, nil
}

// usable reports whether ip may be handed out: inside a range.
func (p *pool) usable(ip netip.Addr) bool {
	return slices.ContainsFunc(p.ranges, func(r AddrRange) bool { return r.contains(ip) })
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

// request gives key the address the Service asked for by name, or says why
// not: outside the pool, or held by another Service. A "no" leaves what key
// held untouched.
func (p *pool) request(key string, ip netip.Addr) error {
	if !p.usable(ip) {
		return fmt.Errorf("requested address %s is not in the load-balancer pool", ip)
	}
	if h, taken := p.holder[ip]; taken && h != key {
		return fmt.Errorf("requested address %s is already in use by service %s", ip, h)
	}
	p.claim(key, ip)
	return nil
}

// assign returns key's address of family fam: the one it holds, else the
// first of prefer it can claim (its current status), else the lowest free
// address. errPoolExhausted when none is left.
func (p *pool) assign(key string, fam corev1.IPFamily, prefer []netip.Addr) (netip.Addr, error) {
	if ip, ok := p.byKey[key]; ok && familyOf(ip) == fam {
		return ip, nil
	}
	for _, ip := range prefer {
		if familyOf(ip) == fam && p.claim(key, ip) {
			return ip, nil
		}
	}
	for _, r := range p.ranges {
		if familyOf(r.First) != fam {
			continue
		}
		for ip := r.First; ip.IsValid() && ip.Compare(r.Last) <= 0; ip = ip.Next() {
			if _, taken := p.holder[ip]; !taken && p.claim(key, ip) {
				return ip, nil
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
