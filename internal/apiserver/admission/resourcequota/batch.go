package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota/quota"
)

// batchTimeout bounds one batch's reads and writes (upstream gives a
// request 10 s of quota evaluation).
const batchTimeout = 10 * time.Second

// waiter is one request that charges quota, queued for its namespace.
type waiter struct {
	a   *admission.Attributes
	ev  quota.Evaluator
	req quota.Request
	// seen are the quotas read before queueing; a batch of this waiter
	// alone decides over them first (a stale read only conflicts).
	seen []corev1.ResourceQuota
	lead chan struct{} // closed when this waiter must process the queue
	done chan struct{} // closed once err is final
	err  error
}

func (w *waiter) finish(err error) {
	w.err = err
	close(w.done)
}

// batcher queues the charging requests of each namespace. One waiter at a
// time leads: it takes every queued request, decides them in order
// against one read of the quotas, writes each changed quota once, and
// hands the lead to the next queued waiter — as upstream's evaluator
// batches a namespace's requests, so concurrent creates cost one quota
// write per batch, not one each, and never race for the last unit.
type batcher struct {
	mu     sync.Mutex
	queues map[string][]*waiter // queued waiters; present while a leader runs
}

// do queues w and returns its result once a leader (perhaps w) has
// processed it. process must finish every waiter it is given.
func (b *batcher) do(ns string, w *waiter, process func([]*waiter)) error {
	w.lead, w.done = make(chan struct{}), make(chan struct{})
	b.mu.Lock()
	if b.queues == nil {
		b.queues = map[string][]*waiter{}
	}
	q, busy := b.queues[ns]
	b.queues[ns] = append(q, w)
	b.mu.Unlock()
	if !busy {
		close(w.lead)
	}
	select {
	case <-w.done:
		return w.err
	case <-w.lead:
	}
	b.mu.Lock()
	batch := b.queues[ns]
	b.queues[ns] = nil
	b.mu.Unlock()
	process(batch)
	b.mu.Lock()
	if next := b.queues[ns]; len(next) > 0 {
		close(next[0].lead)
	} else {
		delete(b.queues, ns)
	}
	b.mu.Unlock()
	<-w.done
	return w.err
}

// process decides a batch of one namespace and records its usage,
// retrying on conflicts: a quota already written is not charged again.
func (p *Plugin) process(ns string, batch []*waiter) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	w, ok := p.Lookup.(StatusWriter)
	if !ok {
		finishAll(batch, errors.New("resourcequota: the lookup cannot write quota status"))
		return
	}
	var written []string
	for attempt := 1; ; attempt++ {
		quotas, err := batch[0].seen, error(nil)
		if attempt > 1 || len(batch) > 1 || quotas == nil {
			quotas, err = p.quotas(ctx, ns, written)
		}
		if err != nil {
			finishAll(batch, err)
			return
		}
		after, charged := decideBatch(quotas, batch)
		var conflict error
		for _, i := range quota.Changed(quotas, after) {
			if _, err := w.UpdateQuotaStatus(ctx, &after[i]); err != nil {
				if !apierrors.IsConflict(err) {
					finishAll(charged, fmt.Errorf("update status of quota %s/%s: %w", ns, after[i].Name, err))
					return
				}
				conflict = err
				continue
			}
			written = append(written, after[i].Name)
		}
		if conflict == nil || attempt == maxAttempts {
			finishAll(charged, conflict)
			return
		}
		batch = charged
	}
}

// decideBatch decides the waiters in order, each against the usage the
// ones before it charged. Refused waiters and those that charge nothing
// (or only dry-run) are finished; it returns the quotas after the batch
// and the waiters that wait for the writes.
func decideBatch(quotas []corev1.ResourceQuota, batch []*waiter) ([]corev1.ResourceQuota, []*waiter) {
	cur := quotas
	var charged []*waiter
	for _, w := range batch {
		after, err := quota.Check(w.ev, cur, w.req)
		var d *quota.Denied
		switch {
		case errors.As(err, &d):
			w.finish(admission.Forbidden(w.a, d))
		case err != nil:
			w.finish(fmt.Errorf("check quotas of %s: %w", w.a.Namespace, err))
		case w.a.DryRun || len(quota.Changed(cur, after)) == 0:
			w.finish(nil)
		default:
			cur = after
			charged = append(charged, w)
		}
	}
	return cur, charged
}

func finishAll(ws []*waiter, err error) {
	for _, w := range ws {
		w.finish(err)
	}
}
