package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// ErrRetry marks an expected, quiet retry (e.g. "still waiting"): the key
// is re-queued with backoff without a log line.
var ErrRetry = errors.New("retry")

// Process handles keys from q until q shuts down: a sync that succeeds
// forgets the key's failures; one that fails re-queues the key rate-limited
// and is logged, unless ctx has ended or the error wraps ErrRetry
// (conflicts are logged at debug level only).
func Process[K comparable](ctx context.Context, q workqueue.TypedRateLimitingInterface[K], log *slog.Logger, sync func(context.Context, K) error) {
	for {
		key, quit := q.Get()
		if quit {
			return
		}
		err := sync(ctx, key)
		switch {
		case err == nil:
			q.Forget(key)
		case ctx.Err() != nil:
		default:
			switch {
			case errors.Is(err, ErrRetry):
			case apierrors.IsConflict(err): // a newer object is on its way
				log.Debug("sync conflicted, will retry", "key", key, "err", err)
			default:
				log.Info("sync failed, will retry", "key", key, "err", err)
			}
			q.AddRateLimited(key)
		}
		q.Done(key)
	}
}

// Run waits for the informer caches, runs n Process loops and returns nil
// once ctx has ended and every loop has stopped. It shuts q down.
func Run[K comparable](ctx context.Context, q workqueue.TypedRateLimitingInterface[K], n int, synced []cache.InformerSynced,
	log *slog.Logger, syncKey func(context.Context, K) error) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer q.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil
	}
	for range n {
		wg.Go(func() { Process(ctx, q, log, syncKey) })
	}
	<-ctx.Done()
	return nil
}
