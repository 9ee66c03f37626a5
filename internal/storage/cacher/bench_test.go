package cacher

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
)

type watchFunc func(ctx context.Context, key string, opts storage.WatchOptions) <-chan storage.Event

// BenchmarkWatchFanout mirrors the API server's BenchmarkWatchFanout at the
// storage layer: 100 watchers of one namespace, 1,000 configmap creates;
// each watcher measures the time from just before a create to the event's
// arrival. It runs direct store watches and cache watches against the same
// etcd and reports p50 and p99 delivery latency of both.
func BenchmarkWatchFanout(b *testing.B) {
	s := newTestStore(b)
	c := startCacher(b, s)
	run := 0 // namespaces must be fresh across the benchmark's repeated runs
	for _, bc := range []struct {
		name  string
		watch watchFunc
	}{
		{"store", s.Watch},
		{"cacher", c.Watch},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var all []time.Duration
			for i := 0; i < b.N; i++ {
				run++
				all = append(all, fanoutOnce(b, s, bc.watch, fmt.Sprintf("%s-%d", bc.name, run), 100, 1000)...)
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

func fanoutOnce(b *testing.B, s *storage.Store, watchFn watchFunc, ns string, watchers, events int) []time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	after, err := s.CurrentRevision(ctx)
	if err != nil {
		b.Fatal(err)
	}
	lat := make([][]time.Duration, watchers)
	var wg sync.WaitGroup
	for w := range watchers {
		ch := watchFn(ctx, "/configmaps/"+ns+"/", storage.WatchOptions{Recursive: true, After: after})
		wg.Go(func() {
			for e := range ch {
				if e.Err != nil {
					b.Errorf("watcher %d: %v", w, e.Err)
					return
				}
				if e.Type != watch.Added {
					continue
				}
				sent, _ := strconv.ParseInt(e.Object.(*corev1.ConfigMap).Annotations["sent"], 10, 64)
				if lat[w] = append(lat[w], time.Since(time.Unix(0, sent))); len(lat[w]) == events {
					return
				}
			}
		})
	}
	for j := range events {
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", j), Namespace: ns,
			Annotations: map[string]string{"sent": strconv.FormatInt(time.Now().UnixNano(), 10)}}}
		if _, err := s.Create(ctx, "/configmaps/"+ns+"/"+obj.Name, obj); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	var all []time.Duration
	for w, l := range lat {
		if len(l) != events {
			b.Fatalf("watcher %d saw %d of %d events", w, len(l), events)
		}
		all = append(all, l...)
	}
	return all
}
