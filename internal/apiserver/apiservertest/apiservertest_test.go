package apiservertest

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Concurrent clients made from the Config reuse their connections: 64
// goroutines sending 40 requests each dial about one connection per
// goroutine, not one per request or so as with net/http's default of 2
// idle connections per host.
func TestConcurrentClientsReuseConnections(t *testing.T) {
	srv := Start(t, nil)
	tr, ok := srv.Config.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Config.Transport is a %T, want *http.Transport", srv.Config.Transport)
	}
	var dials atomic.Int64
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	const workers, requests = 64, 40
	cs := srv.Clientset(t, true)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range requests {
				if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := dials.Load()
	t.Logf("dials: %d", n)
	if n > 2*workers {
		t.Errorf("%d requests from %d goroutines dialed %d connections, want at most %d", workers*requests, workers, n, 2*workers)
	}
}
