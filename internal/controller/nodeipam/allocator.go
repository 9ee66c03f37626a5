package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net"
)

// errFull says every range of the cluster CIDR is taken.
var errFull = errors.New("no pod CIDR left in the cluster CIDR")

// allocator hands out the subnets of one size inside a cluster CIDR.
type allocator struct {
	cluster  *net.IPNet
	maskSize int
	used     []bool
	next     int
}

func newAllocator(cluster *net.IPNet, maskSize int) (*allocator, error) {
	ones, bits := cluster.Mask.Size()
	if maskSize < ones || maskSize > bits || maskSize-ones > 20 {
		return nil, fmt.Errorf("node CIDR mask /%d does not fit cluster CIDR %s (at most 2^20 ranges)", maskSize, cluster)
	}
	return &allocator{cluster: cluster, maskSize: maskSize, used: make([]bool, 1<<(maskSize-ones))}, nil
}

// subnet returns range i.
func (a *allocator) subnet(i int) *net.IPNet {
	_, bits := a.cluster.Mask.Size()
	base := new(big.Int).SetBytes(a.cluster.IP.To16())
	base.Add(base, new(big.Int).Lsh(big.NewInt(int64(i)), uint(bits-a.maskSize)))
	ip := make(net.IP, 16)
	base.FillBytes(ip)
	if bits == 32 {
		ip = ip.To4()
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(a.maskSize, bits)}
}

// index returns which range cidr is, or false if it is not one of ours.
func (a *allocator) index(cidr string) (int, bool) {
	ip, n, err := net.ParseCIDR(cidr)
	if err != nil || !a.cluster.Contains(ip) {
		return 0, false
	}
	if ones, _ := n.Mask.Size(); ones != a.maskSize {
		return 0, false
	}
	_, bits := a.cluster.Mask.Size()
	off := new(big.Int).Sub(new(big.Int).SetBytes(n.IP.To16()), new(big.Int).SetBytes(a.cluster.IP.To16()))
	return int(off.Rsh(off, uint(bits-a.maskSize)).Int64()), true
}

// occupy marks an existing node's range taken; false if it is not ours.
func (a *allocator) occupy(cidr string) bool {
	i, ok := a.index(cidr)
	if ok {
		a.used[i] = true
	}
	return ok
}

// release frees a range.
func (a *allocator) release(cidr string) {
	if i, ok := a.index(cidr); ok {
		a.used[i] = false
	}
}

// allocate takes the next free range, searching round-robin from the last
// one handed out so a freed range is not reused at once.
func (a *allocator) allocate() (string, error) {
	for k := range a.used {
		i := (a.next + k) % len(a.used)
		if !a.used[i] {
			a.used[i] = true
			a.next = i + 1
			return a.subnet(i).String(), nil
		}
	}
	return "", errFull
}
