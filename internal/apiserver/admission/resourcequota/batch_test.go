package resourcequota

import (
	"runtime"
	"sync"
	"testing"
)

// TestBatcher: requests arriving while a batch is processed are processed
// together by the next leader, and every waiter gets its own result.
func TestBatcher(t *testing.T) {
	var b batcher
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	process := func(batch []*waiter) {
		mu.Lock()
		first := len(sizes) == 0
		sizes = append(sizes, len(batch))
		mu.Unlock()
		if first {
			<-release
		}
		for _, w := range batch {
			w.finish(nil)
		}
	}
	queued := func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.queues["ns"])
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := b.do("ns", &waiter{}, process); err != nil {
			t.Error(err)
		}
	})
	for {
		mu.Lock()
		started := len(sizes) == 1
		mu.Unlock()
		if started {
			break
		}
		runtime.Gosched()
	}
	for range 3 {
		wg.Go(func() {
			if err := b.do("ns", &waiter{}, process); err != nil {
				t.Error(err)
			}
		})
	}
	for queued() != 3 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 3 {
		t.Errorf("batch sizes = %v, want [1 3]", sizes)
	}
	if len(b.queues) != 0 {
		t.Errorf("queues left: %v", b.queues)
	}
}
