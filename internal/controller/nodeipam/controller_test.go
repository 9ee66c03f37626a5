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

func TestNodesGetDistinctPodCIDRs(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	create := func(name, cidr string) {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{PodCIDR: cidr}}
		if cidr != "" {
			n.Spec.PodCIDRs = []string{cidr}
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create("preset", "10.42.0.0/24") // assigned before the controller started
	_, cluster, _ := net.ParseCIDR("10.42.0.0/16")
	factory := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: cs, Informer: factory.Core().V1().Nodes(),
		Recorder: record.NewFakeRecorder(10), ClusterCIDR: cluster, NodeMaskSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	go func() { _ = c.Run(ctx) }()
	for _, n := range []string{"a", "b", "c"} {
		create(n, "")
	}
	cidrOf := func(name string) string {
		t.Helper()
		var cidr string
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			cidr = n.Spec.PodCIDR
			return cidr != "" && len(n.Spec.PodCIDRs) == 1 && n.Spec.PodCIDRs[0] == cidr, nil
		})
		if err != nil {
			t.Fatalf("node %s got no pod CIDR: %v", name, err)
		}
		return cidr
	}
	seen := map[string]string{"10.42.0.0/24": "preset"}
	for _, n := range []string{"a", "b", "c"} {
		cidr := cidrOf(n)
		if other, dup := seen[cidr]; dup {
			t.Fatalf("nodes %s and %s share %s", n, other, cidr)
		}
		seen[cidr] = n
	}
	if cidrOf("preset") != "10.42.0.0/24" {
		t.Error("a preset pod CIDR was changed")
	}
}
