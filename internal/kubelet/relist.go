package kubelet

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// relistLoop polls the runtime every RelistPeriod, as the upstream PLEG
// does, and wakes the worker of every pod whose containers or sandboxes
// changed, including pods the API no longer has (to clean them up).
func (k *Kubelet) relistLoop(ctx context.Context) {
	t := k.clock.NewTicker(k.cfg.RelistPeriod)
	defer t.Stop()
	for {
		if err := k.relist(ctx); err != nil {
			k.log.Warn("relist failed", "err", err)
		}
		k.backoff.gc()
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// relist reads the runtime once and dispatches the pods that changed.
func (k *Kubelet) relist(ctx context.Context) error {
	fp, err := runtimeFingerprints(ctx, k)
	if err != nil {
		return err
	}
	var changed []types.UID
	k.mu.Lock()
	for uid, f := range fp {
		if k.relisted[uid] != f {
			changed = append(changed, uid)
		}
	}
	for uid := range k.relisted {
		if _, ok := fp[uid]; !ok {
			changed = append(changed, uid)
		}
	}
	k.relisted = fp
	k.mu.Unlock()
	for _, uid := range changed {
		k.dispatch(ctx, uid)
	}
	return nil
}

// runtimeFingerprints summarises, per pod UID, the IDs and states of its
// sandboxes and containers.
func runtimeFingerprints(ctx context.Context, k *Kubelet) (map[types.UID]string, error) {
	sbs, err := k.runtime.ListPodSandbox(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	cs, err := k.runtime.ListContainers(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	parts := map[types.UID][]string{}
	for _, sb := range sbs {
		if uid := sb.GetLabels()[labelPodUID]; uid != "" {
			parts[types.UID(uid)] = append(parts[types.UID(uid)], "s"+sb.Id+"="+sb.State.String())
		}
	}
	for _, c := range cs {
		if uid := c.GetLabels()[labelPodUID]; uid != "" {
			parts[types.UID(uid)] = append(parts[types.UID(uid)], "c"+c.Id+"="+c.State.String())
		}
	}
	out := make(map[types.UID]string, len(parts))
	for uid, p := range parts {
		sort.Strings(p)
		out[uid] = strings.Join(p, ",")
	}
	return out, nil
}
