package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/types"
)

// gate is a writer that reports it was entered and blocks until opened.
type gate struct {
	entered chan struct{}
	once    sync.Once
	open    chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

func TestFileSinkDropsWhenFullAfterBoundedWait(t *testing.T) {
	g := &gate{open: make(chan struct{}), entered: make(chan struct{})}
	reg := prometheus.NewRegistry()
	s, err := newFileSink(g, nil, FileOptions{QueueSize: 2, MaxWait: 10 * time.Millisecond, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	// The writer takes one line and blocks in Write; two more fill the
	// queue; the other three are dropped after MaxWait each.
	s.Write(&Event{AuditID: "first"})
	<-g.entered
	start := time.Now()
	for i := range 5 {
		s.Write(&Event{AuditID: types.UID(fmt.Sprint("e", i))})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("writes blocked %v", d)
	}
	close(g.open)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(g.buf.Bytes(), []byte("\n"))
	dropped := counterValue(t, s.errors)
	if lines != 3 || dropped != 3 {
		t.Fatalf("written %d, dropped %v; want 3 and 3", lines, dropped)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("drops did not wait MaxWait: %v", d)
	}
	// After Close writes are dropped, not panics.
	s.Write(&Event{AuditID: "late"})
	if counterValue(t, s.errors) != dropped+1 {
		t.Fatal("write after close not counted")
	}
}

func TestFileSinkWritesJSONLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "audit.log")
	s, err := NewFileSink(FileOptions{Path: p, MaxSizeMB: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		s.Write(&Event{AuditID: "id", Verb: fmt.Sprint(i)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Verb != fmt.Sprint(n) {
			t.Fatalf("line %d: %q %v", n, sc.Text(), err)
		}
		n++
	}
	if n != 100 {
		t.Fatalf("%d lines, want 100 in order", n)
	}
	if _, err := NewFileSink(FileOptions{Path: filepath.Join(t.TempDir(), "no", "such", "dir\x00")}, nil); err == nil {
		t.Fatal("bad path accepted")
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
