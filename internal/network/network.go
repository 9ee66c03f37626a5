package network

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/knftables"
)

// Options configure Run.
type Options struct {
	Client   kubernetes.Interface
	NodeName string
	// ClusterCIDR is the pod network; pods are masqueraded only when they
	// talk to addresses outside it.
	ClusterCIDR string
	// Table is the nftables table for masquerade (default capstan-network).
	Table string
	// Mode is ModeHostGW (default) or ModeVXLAN.
	Mode string
	// NodeIP is this node's InternalIP, the VXLAN tunnel's local end.
	NodeIP net.IP
	// Device names the VXLAN device (default capstan-vxlan).
	Device string
	Log    *slog.Logger
}

// Run keeps the routes to other nodes' pod CIDRs and the masquerade rule
// until ctx ends; then it removes its table (routes stay: a restarted agent
// finds them in place and pods keep talking meanwhile).
func Run(ctx context.Context, o Options) error {
	clusters, err := parseClusterCIDRs(o.ClusterCIDR)
	if err != nil {
		return err
	}
	if o.Table == "" {
		o.Table = "capstan-network"
	}
	if o.Device == "" {
		o.Device = "capstan-vxlan"
	}
	switch o.Mode {
	case "":
		o.Mode = ModeHostGW
	case ModeHostGW:
	case ModeVXLAN:
		if o.NodeIP.To4() == nil {
			return fmt.Errorf("VXLAN mode needs the node's IPv4 address, have %q", o.NodeIP)
		}
	default:
		return fmt.Errorf("unknown pod network mode %q (want %s or %s)", o.Mode, ModeHostGW, ModeVXLAN)
	}
	masq, err := newMasquerader(o.Table, clusters)
	if err != nil {
		return err
	}
	if err := masq.apply(ctx); err != nil {
		return err
	}
	defer masq.remove(context.WithoutCancel(ctx), o.Log.Warn)
	factory := informers.NewSharedInformerFactory(o.Client, 0)
	nodes := factory.Core().V1().Nodes()
	changed := make(chan struct{}, 1)
	kick := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: kick, UpdateFunc: func(_, n any) { kick(n) }, DeleteFunc: kick,
	}); err != nil {
		return fmt.Errorf("watch nodes: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced)
	resync := time.NewTicker(time.Minute) // repairs routes removed behind our back
	defer resync.Stop()
	for {
		list, err := nodes.Lister().List(labels.Everything())
		if err == nil {
			err = o.sync(list)
		}
		if err != nil {
			o.Log.Warn("sync routes to other nodes", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-resync.C:
		}
	}
}

// sync programs the way to every other node's pod CIDR. In VXLAN mode the
// device stays when the agent stops, as routes do.
func (o Options) sync(nodes []*corev1.Node) error {
	if o.Mode == ModeHostGW {
		if err := removeVXLAN(o.Device); err != nil {
			return err
		}
		return syncRoutes(desiredRoutes(nodes, o.NodeName))
	}
	own := ownPodCIDR(nodes, o.NodeName)
	if own == nil {
		return fmt.Errorf("node %s has no pod CIDR yet", o.NodeName)
	}
	link, err := ensureVXLAN(o.Device, o.NodeIP, own)
	if err != nil {
		return err
	}
	peers := desiredPeers(nodes, o.NodeName)
	if err := syncNeighbors(link, peers); err != nil {
		return err
	}
	return syncRoutes(append(vxlanRoutes(peers, link), ipv6Routes(desiredRoutes(nodes, o.NodeName))...))
}

// syncRoutes makes our routes in the main table equal to want.
func syncRoutes(want []route) error {
	current, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Protocol: routeProtocol, Table: unix.RT_TABLE_MAIN},
		netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	var have []route
	for _, r := range current {
		if r.Dst != nil {
			have = append(have, route{dst: r.Dst, gw: r.Gw})
		}
	}
	put, del := diffRoutes(have, want)
	for _, r := range put {
		nr := &netlink.Route{Dst: r.dst, Gw: r.gw, Protocol: routeProtocol}
		if r.link != 0 {
			nr.LinkIndex, nr.Flags = r.link, int(netlink.FLAG_ONLINK)
		}
		if err := netlink.RouteReplace(nr); err != nil {
			return routeError("add", r, err)
		}
	}
	for _, r := range del {
		if err := netlink.RouteDel(&netlink.Route{Dst: r.dst, Gw: r.gw, Protocol: routeProtocol}); err != nil {
			return routeError("delete", r, err)
		}
	}
	return nil
}

// applyMasquerade programs: traffic from the pod network to outside it is
// masqueraded; pod-to-pod traffic (any node) keeps its addresses.
func applyMasquerade(ctx context.Context, nft knftables.Interface, cluster *net.IPNet) error {
	tx := nft.NewTransaction()
	tx.Add(&knftables.Table{})
	chain := &knftables.Chain{Name: "postrouting", Type: knftables.PtrTo(knftables.NATType),
		Hook: knftables.PtrTo(knftables.PostroutingHook), Priority: knftables.PtrTo(knftables.SNATPriority)}
	tx.Add(chain)
	tx.Flush(chain)
	tx.Add(&knftables.Rule{Chain: "postrouting", Rule: knftables.Concat(
		addrMatch(cluster), "saddr", cluster.String(), addrMatch(cluster), "daddr !=", cluster.String(), "masquerade fully-random")})
	if err := nft.Run(ctx, tx); err != nil {
		return fmt.Errorf("program masquerade: %w", err)
	}
	return nil
}
