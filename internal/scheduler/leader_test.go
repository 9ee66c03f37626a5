package scheduler

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestRunUnderLeaderElection(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	if err := Run(ctx, Config{RestConfig: srv.Config, LeaderElect: true}); err == nil {
		t.Fatal("Run without an identity succeeded")
	}
	createNode(ctx, t, cs, fakeNode("n1", "4", "4Gi", 110))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, Config{RestConfig: srv.Config, LeaderElect: true, Identity: "sched-a"}) }()
	if _, err := cs.CoreV1().Pods("default").Create(ctx, fakePod("p", "", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "pod bound by the leader", func() (bool, error) {
		n, err := podNode(ctx, cs, "p")
		return n == "n1", err
	})
	l, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "kube-scheduler", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != "sched-a" || *l.Spec.LeaseDurationSeconds != 15 {
		t.Fatalf("lease holder %v duration %v", l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
