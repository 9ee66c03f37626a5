package apiserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/storage"
)

// maxScanHosts bounds how much of a (large, IPv6) service range the
// allocator considers; upstream limits IPv6 service ranges similarly.
const maxScanHosts = 1 << 20

// allocateClusterIPs settles the IP families of svc and reserves one
// cluster IP per family (spec.clusterIPs, primary = spec.clusterIP). On
// update, IPs old already holds stay reserved and a released secondary IP
// is freed.
func (s *Server) allocateClusterIPs(ctx context.Context, svc, old *corev1.Service, owner string) field.ErrorList {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if errs := resolveIPFamilies(svc, old, s.serviceFamilies()); len(errs) > 0 {
		return errs
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		return nil
	}
	var held []string
	if old != nil && old.Spec.Type != corev1.ServiceTypeExternalName {
		held = old.Spec.ClusterIPs
	}
	var errs field.ErrorList
	ips := make([]string, 0, len(svc.Spec.IPFamilies))
	for i, fam := range svc.Spec.IPFamilies {
		want := ""
		if i < len(svc.Spec.ClusterIPs) {
			want = svc.Spec.ClusterIPs[i]
		}
		if want != "" && slices.Contains(held, want) {
			ips = append(ips, want)
			continue
		}
		ip, err := s.allocateIP(ctx, s.serviceCIDRFor(fam), want, owner)
		if err != nil {
			errs = append(errs, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), want, err.Error()))
			continue
		}
		ips = append(ips, ip)
	}
	if len(errs) > 0 {
		return errs
	}
	svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ips[0], ips
	for _, ip := range held {
		if ip != corev1.ClusterIPNone && !slices.Contains(ips, ip) {
			if err := s.store.Release(ctx, clusterIPKeyPrefix+ip, owner); err != nil {
				s.log.Warn("release secondary cluster IP", "ip", ip, "err", err)
			}
		}
	}
	return nil
}

// allocateIP reserves want (if set) or a free address of cidr.
func (s *Server) allocateIP(ctx context.Context, cidr *net.IPNet, want, owner string) (string, error) {
	prefix, err := toPrefix(cidr)
	if err != nil {
		return "", err
	}
	if want != "" {
		ip, err := netip.ParseAddr(want)
		if err != nil || !prefix.Contains(ip.Unmap()) {
			return "", fmt.Errorf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", want, want, cidr)
		}
		if err := s.store.Reserve(ctx, clusterIPKeyPrefix+ip.Unmap().String(), owner); err != nil {
			if errors.Is(err, storage.ErrExists) {
				return "", fmt.Errorf("failed to allocate IP %s: provided IP is already allocated", want)
			}
			return "", err
		}
		return ip.Unmap().String(), nil
	}
	lo, hi, err := hostRange(prefix)
	if err != nil {
		return "", err
	}
	// Random picks first (skipping the low 16 addresses kept for well-known
	// services), then a full scan.
	try := func(off uint64) (string, bool, error) {
		ip := addrAdd(prefix.Addr(), off).String()
		err := s.store.Reserve(ctx, clusterIPKeyPrefix+ip, owner)
		if errors.Is(err, storage.ErrExists) {
			return "", false, nil
		}
		return ip, err == nil, err
	}
	low := max(lo, min(16, hi/2))
	for range 32 {
		if ip, ok, err := try(low + rand.Uint64N(hi-low+1)); ok || err != nil {
			return ip, err
		}
	}
	for off := lo; off <= hi; off++ {
		if ip, ok, err := try(off); ok || err != nil {
			return ip, err
		}
	}
	return "", fmt.Errorf("failed to allocate a serviceIP: range is full")
}

func toPrefix(cidr *net.IPNet) (netip.Prefix, error) {
	if cidr == nil {
		return netip.Prefix{}, fmt.Errorf("no service CIDR for this IP family")
	}
	addr, ok := netip.AddrFromSlice(cidr.IP)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("service CIDR %s: bad address", cidr)
	}
	ones, _ := cidr.Mask.Size()
	return netip.PrefixFrom(addr.Unmap(), ones).Masked(), nil
}

// hostRange returns the first and last usable offsets of prefix: the
// network address is never handed out, nor the IPv4 broadcast address.
func hostRange(prefix netip.Prefix) (lo, hi uint64, err error) {
	hostBits := prefix.Addr().BitLen() - prefix.Bits()
	size := uint64(maxScanHosts)
	if hostBits < 20 {
		size = uint64(1) << hostBits
	}
	hi = size - 1
	if prefix.Addr().Is4() && hostBits < 20 {
		hi = size - 2
	}
	if size < 4 {
		return 0, 0, fmt.Errorf("service CIDR %s is too small", prefix)
	}
	return 1, hi, nil
}

// addrAdd returns base + off (off fits the host part of the range).
func addrAdd(base netip.Addr, off uint64) netip.Addr {
	b := base.As16()
	lo := binary.BigEndian.Uint64(b[8:])
	hi := binary.BigEndian.Uint64(b[:8])
	sum := lo + off
	if sum < lo {
		hi++
	}
	binary.BigEndian.PutUint64(b[8:], sum)
	binary.BigEndian.PutUint64(b[:8], hi)
	addr := netip.AddrFrom16(b)
	if base.Is4() {
		return addr.Unmap()
	}
	return addr
}
