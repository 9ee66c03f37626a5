package network

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
)

// Modes of the pod network between nodes.
const (
	// ModeHostGW routes each node's pod CIDR via its InternalIP: nodes must
	// share an L2 segment.
	ModeHostGW = "host-gw"
	// ModeVXLAN tunnels pod traffic in VXLAN (UDP) between InternalIPs:
	// nodes need only reach each other over IP.
	ModeVXLAN = "vxlan"
)

// VXLAN parameters, the same on every node (flannel's defaults, so a
// firewall rule written for k3s fits).
const (
	vxlanVNI      = 1
	vxlanPort     = 8472
	vxlanOverhead = 50 // outer IPv4 + UDP + VXLAN + inner Ethernet headers
)

// VXLANMTU is the MTU pods get in VXLAN mode on a link of mtu.
func VXLANMTU(mtu int) int { return mtu - vxlanOverhead }

// PodMTU is the MTU for pod interfaces: 1500 in host-gw mode; in VXLAN mode
// the MTU of the interface holding nodeIP less the tunnel's headers.
func PodMTU(mode string, nodeIP net.IP) (int, error) {
	if mode != ModeVXLAN {
		return 1500, nil
	}
	l, err := linkWithAddr(nodeIP)
	if err != nil {
		return 0, err
	}
	return VXLANMTU(l.Attrs().MTU), nil
}

// vtepMAC is the MAC of the VXLAN device of the node with InternalIP ip: a
// locally administered address made of the IP, so every node knows every
// other node's without publishing it.
func vtepMAC(ip net.IP) net.HardwareAddr {
	v4 := ip.To4()
	return net.HardwareAddr{0x02, 0xca, v4[0], v4[1], v4[2], v4[3]}
}

// vtepAddr is the address of a node's VXLAN device: the network address of
// its pod CIDR, which the bridge plugin never hands out.
func vtepAddr(podCIDR *net.IPNet) net.IP { return podCIDR.IP.To4() }

// peer is another node as the VXLAN device sees it.
type peer struct {
	podCIDR *net.IPNet
	nodeIP  net.IP
}

func (p peer) mac() net.HardwareAddr { return vtepMAC(p.nodeIP) }
func (p peer) gw() net.IP            { return vtepAddr(p.podCIDR) }

// desiredPeers returns every other node with an IPv4 pod CIDR and
// InternalIP, sorted by pod CIDR.
func desiredPeers(nodes []*corev1.Node, self string) []peer {
	var out []peer
	for _, r := range desiredRoutes(nodes, self) {
		if r.dst.IP.To4() != nil {
			out = append(out, peer{podCIDR: r.dst, nodeIP: r.gw})
		}
	}
	return out
}

// vxlanRoutes are the routes of peers: each pod CIDR via the peer's VTEP
// address, on link through the device.
func vxlanRoutes(peers []peer, link int) []route {
	out := make([]route, 0, len(peers))
	for _, p := range peers {
		out = append(out, route{dst: p.podCIDR, gw: p.gw(), link: link})
	}
	return out
}

// ownPodCIDR is the IPv4 pod CIDR of node self, or nil.
func ownPodCIDR(nodes []*corev1.Node, self string) *net.IPNet {
	for _, n := range nodes {
		if n.Name != self {
			continue
		}
		for _, c := range podCIDRs(n) {
			if _, cidr, err := net.ParseCIDR(c); err == nil && cidr.IP.To4() != nil {
				return cidr
			}
		}
	}
	return nil
}

// ensureVXLAN creates (or recreates, when its settings differ) the VXLAN
// device name bound to the interface holding nodeIP, gives it the VTEP
// address of podCIDR and brings it up. It returns the device's index.
func ensureVXLAN(name string, nodeIP net.IP, podCIDR *net.IPNet) (int, error) {
	parent, err := linkWithAddr(nodeIP)
	if err != nil {
		return 0, err
	}
	want := &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: name, MTU: VXLANMTU(parent.Attrs().MTU), HardwareAddr: vtepMAC(nodeIP)},
		VxlanId:   vxlanVNI, VtepDevIndex: parent.Attrs().Index, SrcAddr: nodeIP.To4(), Port: vxlanPort,
	}
	if l, err := netlink.LinkByName(name); err == nil {
		if have, ok := l.(*netlink.Vxlan); ok && sameVXLAN(have, want) {
			want = have
		} else if err := netlink.LinkDel(l); err != nil {
			return 0, fmt.Errorf("remove outdated %s: %w", name, err)
		}
	}
	if want.Index == 0 {
		if err := netlink.LinkAdd(want); err != nil {
			return 0, fmt.Errorf("add VXLAN device %s: %w", name, err)
		}
		l, err := netlink.LinkByName(name)
		if err != nil {
			return 0, fmt.Errorf("find VXLAN device %s: %w", name, err)
		}
		want.Index = l.Attrs().Index
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: vtepAddr(podCIDR), Mask: net.CIDRMask(32, 32)}}
	if err := netlink.AddrReplace(want, addr); err != nil {
		return 0, fmt.Errorf("address %s on %s: %w", addr.IP, name, err)
	}
	if err := netlink.LinkSetUp(want); err != nil {
		return 0, fmt.Errorf("bring %s up: %w", name, err)
	}
	return want.Index, nil
}

func sameVXLAN(have, want *netlink.Vxlan) bool {
	return have.VxlanId == want.VxlanId && have.Port == want.Port && have.SrcAddr.Equal(want.SrcAddr) &&
		have.VtepDevIndex == want.VtepDevIndex && have.MTU == want.MTU && have.HardwareAddr.String() == want.HardwareAddr.String()
}

// linkWithAddr is the interface that holds ip.
func linkWithAddr(ip net.IP) (netlink.Link, error) {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if a.IP.Equal(ip) {
			l, err := netlink.LinkByIndex(a.LinkIndex)
			if err != nil {
				return nil, fmt.Errorf("interface of %s: %w", ip, err)
			}
			return l, nil
		}
	}
	return nil, fmt.Errorf("no interface has the node address %s", ip)
}

// syncNeighbors makes the device's permanent ARP entries (VTEP address →
// VTEP MAC) and forwarding entries (VTEP MAC → node address) exactly those
// of peers.
func syncNeighbors(link int, peers []peer) error {
	arp := map[string]string{}
	fdb := map[string]string{}
	for _, p := range peers {
		arp[p.gw().String()] = p.mac().String()
		fdb[p.mac().String()] = p.nodeIP.String()
	}
	var errs []error
	for _, family := range []int{netlink.FAMILY_V4, unix.AF_BRIDGE} {
		have, err := netlink.NeighList(link, family)
		if err != nil {
			return fmt.Errorf("list neighbours: %w", err)
		}
		for _, n := range have {
			if n.State&netlink.NUD_PERMANENT == 0 || n.IP == nil {
				continue
			}
			if family == unix.AF_BRIDGE && fdb[n.HardwareAddr.String()] == n.IP.String() {
				delete(fdb, n.HardwareAddr.String())
				continue
			}
			if family != unix.AF_BRIDGE && arp[n.IP.String()] == n.HardwareAddr.String() {
				delete(arp, n.IP.String())
				continue
			}
			if err := netlink.NeighDel(&n); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("delete neighbour %s: %w", n.IP, err))
			}
		}
	}
	for _, ip := range slices.Sorted(maps.Keys(arp)) {
		mac, _ := net.ParseMAC(arp[ip])
		n := &netlink.Neigh{LinkIndex: link, Family: netlink.FAMILY_V4, State: netlink.NUD_PERMANENT, Type: unix.RTN_UNICAST, IP: net.ParseIP(ip), HardwareAddr: mac}
		if err := netlink.NeighSet(n); err != nil {
			errs = append(errs, fmt.Errorf("ARP entry %s: %w", ip, err))
		}
	}
	for _, m := range slices.Sorted(maps.Keys(fdb)) {
		mac, _ := net.ParseMAC(m)
		n := &netlink.Neigh{LinkIndex: link, Family: unix.AF_BRIDGE, State: netlink.NUD_PERMANENT, Flags: netlink.NTF_SELF, IP: net.ParseIP(fdb[m]), HardwareAddr: mac}
		if err := netlink.NeighSet(n); err != nil {
			errs = append(errs, fmt.Errorf("forwarding entry %s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// removeVXLAN deletes the device name if it exists (host-gw mode after a
// VXLAN one).
func removeVXLAN(name string) error {
	l, err := netlink.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}
