package nodeipam

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, c, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewAllocatorsPerFamily(t *testing.T) {
	for _, tc := range []struct {
		name         string
		primary, sec string
		v4, v6       int
		wantFirst    []string // first range of each allocator
		wantErr      bool
	}{
		{name: "ipv4 only default /24", primary: "10.42.0.0/16", wantFirst: []string{"10.42.0.0/24"}},
		{name: "dual-stack defaults /24 and /64", primary: "10.42.0.0/16", sec: "fd00:42::/56",
			wantFirst: []string{"10.42.0.0/24", "fd00:42::/64"}},
		{name: "ipv6 primary", primary: "fd00:42::/56", sec: "10.42.0.0/16", v4: 26, v6: 60,
			wantFirst: []string{"fd00:42::/60", "10.42.0.0/26"}},
		{name: "two ipv4 ranges", primary: "10.42.0.0/16", sec: "10.43.0.0/16", wantErr: true},
		{name: "ipv6 mask too wide for the range", primary: "10.42.0.0/16", sec: "fd00:42::/64", v6: 60, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{ClusterCIDR: mustCIDR(t, tc.primary), NodeMaskSize: tc.v4, NodeMaskSizeIPv6: tc.v6}
			if tc.sec != "" {
				o.SecondaryClusterCIDR = mustCIDR(t, tc.sec)
			}
			allocs, err := newAllocators(o)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(allocs) != len(tc.wantFirst) {
				t.Fatalf("%d allocators, want %d", len(allocs), len(tc.wantFirst))
			}
			for i, a := range allocs {
				if got, _ := a.allocate(); got != tc.wantFirst[i] {
					t.Errorf("allocator %d first range %s, want %s", i, got, tc.wantFirst[i])
				}
			}
		})
	}
}

func TestDualStackNodesGetOneRangePerFamily(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: cs, Informer: factory.Core().V1().Nodes(),
		Recorder: record.NewFakeRecorder(10), ClusterCIDR: mustCIDR(t, "10.42.0.0/16"), NodeMaskSize: 24,
		SecondaryClusterCIDR: mustCIDR(t, "fd00:42::/56")})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go func() { _ = c.Run(ctx) }()
	seen := map[string]string{}
	for _, name := range []string{"a", "b"} {
		if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var cidrs []string
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			cidrs = n.Spec.PodCIDRs
			return len(cidrs) > 0 && n.Spec.PodCIDR == cidrs[0], nil
		})
		if err != nil {
			t.Fatalf("node %s got no pod CIDRs: %v", name, err)
		}
		if len(cidrs) != 2 {
			t.Fatalf("node %s podCIDRs %v, want one IPv4 /24 and one IPv6 /64", name, cidrs)
		}
		v4, v6 := mustCIDR(t, cidrs[0]), mustCIDR(t, cidrs[1])
		if ones, _ := v4.Mask.Size(); v4.IP.To4() == nil || ones != 24 {
			t.Errorf("primary %s is not an IPv4 /24", cidrs[0])
		}
		if ones, _ := v6.Mask.Size(); v6.IP.To4() != nil || ones != 64 || !mustCIDR(t, "fd00:42::/56").Contains(v6.IP) {
			t.Errorf("secondary %s is not an IPv6 /64 of fd00:42::/56", cidrs[1])
		}
		for _, cidr := range cidrs {
			if other, dup := seen[cidr]; dup {
				t.Errorf("nodes %s and %s share %s", name, other, cidr)
			}
			seen[cidr] = name
		}
	}
}
