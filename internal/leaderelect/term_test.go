package leaderelect

import (
	"errors"
	"testing"
	"time"
)

func TestTermWaitsForWork(t *testing.T) {
	tm := &term{}
	started := make(chan struct{})
	release := make(chan struct{})
	boom := errors.New("boom")
	go tm.run(func() error { close(started); <-release; return boom })
	<-started
	done := make(chan error)
	go func() { done <- tm.end() }()
	select {
	case <-done:
		t.Fatal("end returned while the work still ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("end() = %v, want boom", err)
	}
	ran := false
	tm.run(func() error { ran = true; return nil })
	if ran {
		t.Fatal("run after end started work")
	}
}
