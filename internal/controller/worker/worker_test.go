package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// TestRunRetriesFailuresAndKeepsOthersGoing: a key whose sync fails is
// retried with backoff until it succeeds, while other keys are synced once.
func TestRunRetriesFailuresAndKeepsOthersGoing(t *testing.T) {
	q := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, 10*time.Millisecond))
	var mu sync.Mutex
	calls := map[string]int{}
	done := make(chan struct{})
	syncKey := func(_ context.Context, key string) error {
		mu.Lock()
		defer mu.Unlock()
		calls[key]++
		switch {
		case key == "bad" && calls[key] < 3:
			return fmt.Errorf("transient: %w", ErrRetry)
		case key == "bad":
			close(done)
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() {
		ran <- Run(ctx, q, 2, []cache.InformerSynced{func() bool { return true }}, slog.New(slog.DiscardHandler), syncKey)
	}()
	q.Add("good")
	q.Add("bad")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("failing key was not retried until it succeeded")
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if !q.ShuttingDown() {
		t.Error("Run returned without shutting the queue down")
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["good"] != 1 || calls["bad"] != 3 {
		t.Errorf("calls %v, want good once and bad three times", calls)
	}
	if q.NumRequeues("bad") != 0 {
		t.Error("success did not forget the key's failures")
	}
}

// TestRecorder: a given recorder is used as is; without one the controller
// gets its own, whose events reach the API once Record runs.
func TestRecorder(t *testing.T) {
	given := record.NewFakeRecorder(1)
	if rec, b := Recorder(given, "x"); rec != given || b != nil {
		t.Fatalf("a given recorder was replaced: %v %v", rec, b)
	}
	Record(nil, nil)() // nothing of its own: nothing to start or stop
	client := fake.NewClientset()
	rec, b := Recorder(nil, "test-controller")
	stop := Record(client, b)
	rec.Event(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}, corev1.EventTypeNormal, "Tested", "hello")
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := client.CoreV1().Events("ns").List(ctx, metav1.ListOptions{})
		return err == nil && len(evs.Items) == 1 && evs.Items[0].Source.Component == "test-controller", err
	})
	stop()
	if err != nil {
		t.Fatalf("own recorder's event never reached the API: %v", err)
	}
}
