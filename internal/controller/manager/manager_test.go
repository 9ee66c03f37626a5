package manager

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/leaderelect"
)

// recorder is a registry whose only controller records which manager runs it.
type recorder struct {
	mu      sync.Mutex
	running map[string]bool
}

func (r *recorder) registry(identity string) registry {
	return func(cc controllerContext) ([]controller, error) {
		return []controller{{name: "probe", run: func(ctx context.Context) error {
			r.set(identity, true)
			<-ctx.Done()
			r.set(identity, false)
			return nil
		}}}, nil
	}
}

func (r *recorder) set(id string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[id] = on
}

func (r *recorder) runningSet() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, on := range r.running {
		if on {
			out = append(out, id)
		}
	}
	return out
}

func TestOnlyTheLeaderRunsControllers(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	rec := &recorder{running: map[string]bool{}}
	cancels := map[string]context.CancelFunc{}
	results := map[string]chan error{}
	for _, id := range []string{"a", "b"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[id] = cancel
		result := make(chan error, 1)
		results[id] = result
		cfg := Config{RestConfig: srv.Config, Log: slog.New(slog.DiscardHandler), Identity: id}
		go func() { result <- run(ctx, cfg, rec.registry(id)) }()
	}
	t.Cleanup(func() {
		for id, cancel := range cancels {
			cancel()
			<-results[id]
		}
	})
	holder := func(ctx context.Context) string {
		l, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, "kube-controller-manager", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}
	var leader string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		leader = holder(ctx)
		running := rec.runningSet()
		return leader != "" && len(running) == 1 && running[0] == leader, nil
	})
	if err != nil {
		t.Fatalf("leader %q, running %v: %v", leader, rec.runningSet(), err)
	}
	// Hold for a retry period: the follower must not start.
	time.Sleep(leaderelect.RetryPeriod + 500*time.Millisecond)
	if running := rec.runningSet(); len(running) != 1 || running[0] != leader {
		t.Fatalf("running %v, want only leader %s", running, leader)
	}
	follower := map[string]string{"a": "b", "b": "a"}[leader]
	cancels[leader]()
	if err := <-results[leader]; err != nil {
		t.Fatalf("leader run returned %v, want nil after cancel", err)
	}
	results[leader] <- nil // for cleanup
	err = wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		running := rec.runningSet()
		return holder(ctx) == follower && len(running) == 1 && running[0] == follower, nil
	})
	if err != nil {
		t.Fatalf("follower %s did not take over: running %v: %v", follower, rec.runningSet(), err)
	}
}

func TestRunRejectsEmptyIdentity(t *testing.T) {
	err := Run(context.Background(), Config{Log: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("Run with empty identity succeeded")
	}
}
