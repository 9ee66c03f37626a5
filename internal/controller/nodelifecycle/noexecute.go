package nodelifecycle

import (
	"context"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// planNoExecute decides the NoExecute taint of one node. Removing a taint
// and swapping not-ready for unreachable (or back) happen at once; adding
// one waits in its zone's rate-limited queue. When every zone is fully
// disrupted all NoExecute taints are removed, as upstream.
func (c *Controller) planNoExecute(ctx context.Context, node *corev1.Node, now time.Time) {
	m := c.monitor
	want := NoExecuteKey(ReadyStatus(node))
	if m.allFull {
		want = ""
	}
	zone := ZoneKey(node)
	var present []string
	for _, k := range noExecuteKeys() {
		if hasTaint(node.Spec.Taints, k, corev1.TaintEffectNoExecute) {
			present = append(present, k)
		}
	}
	switch {
	case want == "" || len(present) > 0:
		// Recovery, or a swap between not-ready and unreachable: at once.
		c.unqueue(zone, node.Name)
		if !slices.Equal(present, []string{want}) && (want != "" || len(present) > 0) {
			c.setNoExecute(ctx, node, want, now)
		}
	default:
		if !slices.Contains(m.pending[zone], node.Name) {
			m.pending[zone] = append(m.pending[zone], node.Name)
		}
	}
}

func (c *Controller) unqueue(zone, node string) {
	m := c.monitor
	m.pending[zone] = slices.DeleteFunc(m.pending[zone], func(n string) bool { return n == node })
}

// drainPending taints queued nodes as far as each zone's rate allows.
func (c *Controller) drainPending(ctx context.Context, nodes map[string]*corev1.Node, now time.Time) {
	m := c.monitor
	for zone, queue := range m.pending {
		b := m.buckets[zone]
		for len(queue) > 0 {
			node, ok := nodes[queue[0]]
			if !ok {
				queue = queue[1:]
				continue
			}
			want := NoExecuteKey(ReadyStatus(node))
			if want == "" {
				queue = queue[1:]
				continue
			}
			if b == nil || !b.allow(now) {
				break
			}
			if c.setNoExecute(ctx, node, want, now) {
				queue = queue[1:]
			} else {
				break
			}
		}
		m.pending[zone] = queue
	}
}

// setNoExecute makes key ("" for none) the only owned NoExecute taint of
// node; it reports whether the write succeeded.
func (c *Controller) setNoExecute(ctx context.Context, node *corev1.Node, key string, now time.Time) bool {
	var want []corev1.Taint
	if key != "" {
		want = []corev1.Taint{{Key: key, Effect: corev1.TaintEffectNoExecute}}
	}
	taints, changed := ReconcileTaints(node.Spec.Taints, want, corev1.TaintEffectNoExecute, noExecuteKeys(), now)
	if !changed {
		return true
	}
	out := c.writeTaints(ctx, node, taints)
	if out == node {
		return false
	}
	c.log.Info("node NoExecute taint set", "node", node.Name, "taint", key)
	return true
}

func compareStrings(a, b string) int { return strings.Compare(a, b) }
