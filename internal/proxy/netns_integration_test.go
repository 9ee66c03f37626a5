package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// testNetns creates a network namespace with lo up and an interface
// holding addr (CIDR form), plus a route for the service range through it;
// it is deleted in t.Cleanup.
func testNetns(t testing.TB, addr, serviceRange string) (string, netns.NsHandle) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and run nft")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft binary not found")
	}
	name := fmt.Sprintf("capstan-proxy-test-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("delete netns %s: %v: %s", name, err, out)
		}
	})
	in := []string{"ip", "netns", "exec", name}
	run(append(in, "ip", "link", "set", "lo", "up")...)
	// No dummy driver everywhere: a veth pair with both ends inside.
	run(append(in, "ip", "link", "add", "pod0", "type", "veth", "peer", "name", "pod1")...)
	run(append(in, "ip", "addr", "add", addr, "dev", "pod0")...)
	run(append(in, "ip", "link", "set", "pod0", "up")...)
	run(append(in, "ip", "link", "set", "pod1", "up")...)
	run(append(in, "ip", "route", "add", serviceRange, "dev", "pod0")...)
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close() })
	return name, h
}

// inNetns runs f on a thread that has entered ns. The thread is never
// returned to the runtime (no UnlockOSThread), so it cannot leak the
// namespace to other goroutines.
func inNetns(ns netns.NsHandle, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			errc <- fmt.Errorf("enter netns: %w", err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// echoServer listens on addr inside ns and answers each connection's first
// line with prefix + line.
func echoServer(t *testing.T, ns netns.NsHandle, addr, prefix string) {
	t.Helper()
	var ln net.Listener
	if err := inNetns(ns, func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					_, _ = io.WriteString(c, prefix+line)
				}
			}()
		}
	}()
}

// call connects to addr from inside ns, sends a line and returns the reply.
func call(ns netns.NsHandle, addr string) (string, error) {
	var reply string
	err := inNetns(ns, func() error {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c, "hello\n"); err != nil {
			return err
		}
		reply, err = bufio.NewReader(c).ReadString('\n')
		return err
	})
	return reply, err
}

// startRun runs Run inside ns until cancel; the returned stop cancels and
// waits for Run to return without error.
func startRun(t *testing.T, ctx context.Context, cancel context.CancelFunc, ns netns.NsHandle, client *fake.Clientset, table, nodeIP string) (stop func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- inNetns(ns, func() error {
			return Run(ctx, Options{
				Client:        client,
				NodeName:      "node-a",
				NodeIPs:       []net.IP{net.ParseIP(nodeIP)},
				Log:           slog.New(slog.NewTextHandler(t.Output(), nil)),
				ClusterCIDR:   "10.244.0.0/16",
				MinSyncPeriod: 50 * time.Millisecond,
				Table:         table,
			})
		})
	}()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

// eventually retries check until it returns nil or 10 seconds pass.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunInNetns(t *testing.T) {
	const (
		podIP  = "10.99.0.2"
		vip    = "172.30.0.10"
		table  = "capstan-proxy-test"
		nodeIP = "10.99.0.1"
	)
	nsName, ns := testNetns(t, podIP+"/24", "172.30.0.0/16")
	echoServer(t, ns, podIP+":8080", "echo ")

	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := startRun(t, ctx, cancel, ns, client, table, nodeIP)

	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			ClusterIP: vip, ClusterIPs: []string{vip}, Type: corev1.ServiceTypeClusterIP,
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "echo-1", Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("tcp"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses: []string{podIP}, NodeName: ptr.To("node-a"),
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
	}
	if _, err := client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, "echo through the service VIP", func() error {
		reply, err := call(ns, vip+":80")
		if err != nil {
			return err
		}
		if reply != "echo hello\n" {
			return fmt.Errorf("reply %q", reply)
		}
		return nil
	})

	slice.Endpoints = nil
	if _, err := client.DiscoveryV1().EndpointSlices("default").Update(ctx, slice, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "service without endpoints refuses connections", func() error {
		start := time.Now()
		_, err := call(ns, vip+":80")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("got %v, want connection refused", err)
		}
		if took := time.Since(start); took > time.Second {
			return fmt.Errorf("refusal took %v", took)
		}
		return nil
	})

	stop()
	out, err := exec.Command("ip", "netns", "exec", nsName, "nft", "list", "table", "ip", table).CombinedOutput()
	if err == nil {
		t.Fatalf("table %s still exists after Run returned:\n%s", table, out)
	}
}

// TestRulesetsLoadIntoNFT applies every golden ruleset, one after another, to
// a real nft in a fresh namespace: each must be accepted by the kernel, and
// each sync must replace the previous one (stale chains and sets removed).
func TestRulesetsLoadIntoNFT(t *testing.T) {
	nsName, ns := testNetns(t, "10.99.0.2/24", "172.30.0.0/16")
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	const table = "capstan-proxy-load"
	nft := newNetlinkTables(table)
	t.Cleanup(func() { _ = nft.close() })
	s := newSyncer(nft)
	// Apply twice over so that every input also replaces a different one;
	// alternately full (forgotten state) and incremental.
	for i, in := range append(inputs, inputs...) {
		cfg, svcs, slices := loadInput(t, in)
		r := Ruleset(cfg, svcs, slices)
		if i%2 == 0 {
			s.last = nil
		}
		err := inNetns(ns, func() error {
			if err := s.sync(context.Background(), r); err != nil {
				return err
			}
			chains, sets, maps, err := nft.list(context.Background())
			if err != nil {
				return err
			}
			if len(chains) != len(r.Chains) {
				return fmt.Errorf("table has %d chains, ruleset %d", len(chains), len(r.Chains))
			}
			if len(sets) != len(r.Sets) || len(maps) != len(r.Maps) {
				return fmt.Errorf("table has %d sets and %d maps, ruleset %d and %d", len(sets), len(maps), len(r.Sets), len(r.Maps))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if i%2 == 1 {
			// The incremental sync must leave what a full one leaves.
			incremental := listTable(t, nsName, table)
			s.last = nil
			if err := inNetns(ns, func() error { return s.sync(context.Background(), r) }); err != nil {
				t.Fatalf("%s: full resync: %v", in, err)
			}
			if full := listTable(t, nsName, table); full != incremental {
				t.Fatalf("%s: incremental sync left\n%s\nfull sync left\n%s", in, incremental, full)
			}
		}
	}
	if err := inNetns(ns, func() error {
		if err := nft.deleteTable(context.Background()); err != nil {
			return err
		}
		// A second removal finds no table, which is not an error.
		return nft.deleteTable(context.Background())
	}); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", nsName, "nft", "list", "table", "ip", table).CombinedOutput(); err == nil {
		t.Fatalf("table %s still exists:\n%s", table, out)
	}
}

// listTable prints the table as nft shows it (no handles); flags go
// before the command.
func listTable(t *testing.T, nsName, table string, flags ...string) string {
	t.Helper()
	args := append(append([]string{"netns", "exec", nsName, "nft"}, flags...), "list", "table", "ip", table)
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("list table %s: %v: %s", table, err, out)
	}
	return string(out)
}

// twoBackendService is a service with one endpoint address serving on two
// ports (8081, 8082), one slice per port.
func twoBackendService(name, vip string, nodePort int32, affinity bool) (*corev1.Service, []*discoveryv1.EndpointSlice) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.ServiceSpec{
			ClusterIP: vip, ClusterIPs: []string{vip}, Type: corev1.ServiceTypeNodePort,
			Ports: []corev1.ServicePort{{Name: "tcp", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: nodePort, TargetPort: intstr.FromString("echo")}},
		},
	}
	if affinity {
		svc.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
		svc.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To[int32](60)}}
	}
	var slices []*discoveryv1.EndpointSlice
	for _, port := range []int32{8081, 8082} {
		slices = append(slices, &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", name, port), Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("tcp"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.99.0.2"}, NodeName: ptr.To("node-a")}},
		})
	}
	return svc, slices
}

// backends calls addr n times and counts the replies by backend.
func backends(t *testing.T, ns netns.NsHandle, addr string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for range n {
		reply, err := call(ns, addr)
		if err != nil {
			t.Fatalf("call %s: %v", addr, err)
		}
		seen[strings.Fields(reply)[0]]++
	}
	return seen
}

func TestAffinityAndNodePortInNetns(t *testing.T) {
	const (
		table  = "capstan-proxy-test"
		nodeIP = "10.99.0.1"
	)
	nsName, ns := testNetns(t, "10.99.0.2/24", "172.30.0.0/16")
	if out, err := exec.Command("ip", "netns", "exec", nsName, "ip", "addr", "add", nodeIP+"/32", "dev", "pod0").CombinedOutput(); err != nil {
		t.Fatalf("add node address: %v: %s", err, out)
	}
	echoServer(t, ns, "10.99.0.2:8081", "a ")
	echoServer(t, ns, "10.99.0.2:8082", "b ")
	client := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := startRun(t, ctx, cancel, ns, client, table, nodeIP)

	sticky, stickySlices := twoBackendService("sticky", "172.30.0.20", 30080, true)
	spread, spreadSlices := twoBackendService("spread", "172.30.0.21", 30081, false)
	for _, svc := range []*corev1.Service{sticky, spread} {
		if _, err := client.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range append(stickySlices, spreadSlices...) {
		if _, err := client.DiscoveryV1().EndpointSlices("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both services programmed", func() error {
		for _, addr := range []string{"172.30.0.20:80", "172.30.0.21:80"} {
			if _, err := call(ns, addr); err != nil {
				return err
			}
		}
		// The slices arrive one by one: a VIP answers as soon as its
		// first is synced, and the spread service needs both.
		if !strings.Contains(listTable(t, nsName, table), "1 : 10.99.0.2 . 8082") {
			return errors.New("spread service has one endpoint so far")
		}
		return nil
	})

	if seen := backends(t, ns, "172.30.0.20:80", 20); len(seen) != 1 {
		t.Errorf("ClientIP affinity: one client reached %v, want a single backend", seen)
	}
	// Without affinity, 40 tries miss one of two backends with chance 2^-39.
	if seen := backends(t, ns, "172.30.0.21:80", 40); len(seen) != 2 {
		t.Errorf("random balancing reached only %v", seen)
	}
	if seen := backends(t, ns, net.JoinHostPort(nodeIP, "30081"), 10); seen["a"]+seen["b"] != 10 {
		t.Errorf("NodePort replies: %v", seen)
	}
	stop()
}
