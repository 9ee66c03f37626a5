package proxy

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/knftables"
)

// waitFor polls cond (the loop runs on its own goroutine; this only waits for
// it to reach a state, no timing is asserted).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func expectSync(t *testing.T, syncs <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-syncs:
	case <-time.After(10 * time.Second):
		t.Fatalf("no sync: %s", what)
	}
}

func expectNoSync(t *testing.T, syncs <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-syncs:
		t.Fatalf("unexpected sync: %s", what)
	default:
	}
}

func TestLoopRateLimitsAndRetries(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Unix(1000, 0))
	p := &proxier{clock: clk, minSync: time.Second, log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := make(chan struct{}, 1)
	syncs := make(chan struct{}, 10)
	failNext := make(chan bool, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.loop(ctx, changed, func(context.Context) error {
			syncs <- struct{}{}
			select {
			case <-failNext:
				return errors.New("injected")
			default:
				return nil
			}
		})
	}()

	expectSync(t, syncs, "the first sync is immediate")

	// Three changes within MinSyncPeriod become one sync, after it.
	signal(changed)
	waitFor(t, "the loop to wait for MinSyncPeriod", clk.HasWaiters)
	signal(changed)
	signal(changed)
	clk.Step(999 * time.Millisecond)
	expectNoSync(t, syncs, "before MinSyncPeriod")
	clk.Step(time.Millisecond)
	expectSync(t, syncs, "batched changes after MinSyncPeriod")

	// A failed sync is retried after MinSyncPeriod without a new change.
	failNext <- true
	waitFor(t, "the loop to be idle", func() bool { return !clk.HasWaiters() })
	clk.Step(time.Second)
	signal(changed)
	expectSync(t, syncs, "sync that fails")
	waitFor(t, "the retry timer", clk.HasWaiters)
	expectNoSync(t, syncs, "retry before MinSyncPeriod")
	clk.Step(time.Second)
	expectSync(t, syncs, "retry after a failure")

	cancel()
	<-done
}

func TestRunProgramsAndRemovesTable(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns1"},
		Spec: corev1.ServiceSpec{
			ClusterIP: "172.30.0.10",
			Ports:     []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: "ns1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.0.5"}}},
	}
	client := fake.NewClientset(svc, slice)
	nft := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Client: client, NodeName: "node-a", NFT: nft, MinSyncPeriod: time.Millisecond,
			Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	}()
	waitFor(t, "the service's DNAT rule", func() bool {
		return strings.Contains(nft.Dump(), "map { 0 : 10.244.0.5 . 8080 }")
	})

	// A change is picked up: the endpoint goes away, the VIP now rejects.
	slice.Endpoints = nil
	if _, err := client.DiscoveryV1().EndpointSlices("ns1").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the no-endpoints verdict", func() bool {
		d := nft.Dump()
		return strings.Contains(d, "no-endpoint-services { 172.30.0.10 . tcp . 80") && !strings.Contains(d, "dnat to")
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := nft.Dump(); d != "" {
		t.Errorf("table left after Run returned:\n%s", d)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	nft := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no client", Options{NFT: nft}},
		{"bad cluster CIDR", Options{Client: fake.NewClientset(), NFT: nft, ClusterCIDR: "10.244.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Run(context.Background(), tc.opts); err == nil {
				t.Error("Run accepted bad options")
			}
		})
	}
}

// TestRunCancelledBeforeSync checks that a Run stopped before its first sync
// returns cleanly even though its table was never created.
func TestRunCancelledBeforeSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	nft := knftables.NewFake(knftables.IPv4Family, "capstan-proxy")
	if err := Run(ctx, Options{Client: fake.NewClientset(), NFT: nft}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := nft.Dump(); d != "" {
		t.Errorf("table created by a cancelled Run:\n%s", d)
	}
}
