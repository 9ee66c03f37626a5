package nodelifecycle

import (
	"context"
	"fmt"
	"slices"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// monitorState is what the monitor remembers between passes.
type monitorState struct {
	probes  map[string]Probe
	states  map[string]ZoneState
	buckets map[string]*bucket
	pending map[string][]string // zone → nodes waiting for a NoExecute taint, oldest first
	allFull bool
}

func newMonitorState() *monitorState {
	return &monitorState{probes: map[string]Probe{}, states: map[string]ZoneState{},
		buckets: map[string]*bucket{}, pending: map[string][]string{}}
}

// monitorPass is one round of the node monitor: health, NoSchedule taints,
// zone states and rate-limited NoExecute taints.
func (c *Controller) monitorPass(ctx context.Context) {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		c.log.Error("list nodes", "err", err)
		return
	}
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return compareStrings(a.Name, b.Name) })
	now := c.clock.Now()
	m := c.monitor
	seen := map[string]bool{}
	current := make(map[string]*corev1.Node, len(nodes))
	zoneReady := map[string][]corev1.ConditionStatus{}
	for _, node := range nodes {
		seen[node.Name] = true
		cur := c.checkHealth(ctx, node, now)
		cur = c.reconcileNoSchedule(ctx, cur, now)
		current[cur.Name] = cur
		z := ZoneKey(cur)
		zoneReady[z] = append(zoneReady[z], ReadyStatus(cur))
	}
	for name := range m.probes {
		if !seen[name] {
			delete(m.probes, name)
		}
	}
	c.updateZones(zoneReady, now)
	for _, node := range nodes {
		c.planNoExecute(ctx, current[node.Name], now)
	}
	c.drainPending(ctx, current, now)
}

// checkHealth observes node's heartbeats and, when it is stale, marks its
// conditions Unknown. It returns the node as it now is.
func (c *Controller) checkHealth(ctx context.Context, node *corev1.Node, now time.Time) *corev1.Node {
	lease := c.nodeLease(node.Name)
	p := Observe(c.monitor.probes[node.Name], node, lease, now)
	c.monitor.probes[node.Name] = p
	if !Stale(p, node, now, c.grace, c.startup) {
		return node
	}
	conds, changed := UnknownConditions(node, now)
	if !changed {
		return node
	}
	next := node.DeepCopy()
	next.Status.Conditions = conds
	out, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		c.log.Info("mark node status unknown", "node", node.Name, "err", err)
		return node
	}
	c.log.Info("node stopped posting status", "node", node.Name)
	if ReadyStatus(node) == corev1.ConditionTrue {
		c.nodeEvents.Eventf(nodeRef(node), corev1.EventTypeNormal, reasonNodeNotReady, "Node %s status is now: %s", node.Name, reasonNodeNotReady)
		if err := c.markPodsNotReady(ctx, node.Name, now); err != nil {
			c.log.Info("mark pods not ready", "node", node.Name, "err", err)
		}
	}
	return out
}

func (c *Controller) nodeLease(name string) *coordv1.Lease {
	l, err := c.leases.Leases(corev1.NamespaceNodeLease).Get(name)
	if err != nil {
		return nil
	}
	return l
}

func nodeRef(node *corev1.Node) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Node", Name: node.Name, UID: node.UID}
}

// markPodsNotReady sets the Ready condition of the pods on node to False,
// as upstream does when it finds a node unresponsive.
func (c *Controller) markPodsNotReady(ctx context.Context, node string, now time.Time) error {
	var errs []error
	for _, pod := range c.podsOnNode(node) {
		i := slices.IndexFunc(pod.Status.Conditions, func(pc corev1.PodCondition) bool { return pc.Type == corev1.PodReady })
		if i < 0 || pod.Status.Conditions[i].Status != corev1.ConditionTrue {
			continue
		}
		next := pod.DeepCopy()
		next.Status.Conditions[i].Status = corev1.ConditionFalse
		next.Status.Conditions[i].LastTransitionTime = metav1.NewTime(now)
		if _, err := c.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("mark pod %s/%s not ready: %w", pod.Namespace, pod.Name, err))
			continue
		}
		c.nodeEvents.Event(pod, corev1.EventTypeWarning, reasonNodeNotReady, "Node is not ready")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d pods: %w", len(errs), errs[0])
	}
	return nil
}

// reconcileNoSchedule keeps the condition-based NoSchedule taints in line.
func (c *Controller) reconcileNoSchedule(ctx context.Context, node *corev1.Node, now time.Time) *corev1.Node {
	taints, changed := ReconcileTaints(node.Spec.Taints, NoScheduleTaints(node), corev1.TaintEffectNoSchedule, noScheduleKeys(), now)
	if !changed {
		return node
	}
	return c.writeTaints(ctx, node, taints)
}

func (c *Controller) writeTaints(ctx context.Context, node *corev1.Node, taints []corev1.Taint) *corev1.Node {
	next := node.DeepCopy()
	next.Spec.Taints = taints
	out, err := c.client.CoreV1().Nodes().Update(ctx, next, metav1.UpdateOptions{})
	if err != nil {
		c.log.Info("update node taints", "node", node.Name, "err", err)
		return node
	}
	return out
}

// updateZones recomputes the zone states and the tainting rates.
func (c *Controller) updateZones(zoneReady map[string][]corev1.ConditionStatus, now time.Time) {
	m := c.monitor
	states := make(map[string]ZoneState, len(zoneReady))
	for z, ready := range zoneReady {
		states[z] = ComputeZoneState(ready, c.cfg.UnhealthyZoneThreshold)
		if old := m.states[z]; old != "" && old != states[z] {
			c.log.Info("zone state changed", "zone", z, "from", old, "to", states[z])
		}
	}
	allFull := AllFullyDisrupted(states)
	if m.allFull && !allFull {
		// Leaving a total outage: give every node a fresh grace period, as
		// upstream does, instead of evicting the whole cluster at once.
		for name, p := range m.probes {
			p.Time = now
			m.probes[name] = p
		}
	}
	if allFull && !m.allFull {
		c.log.Info("all zones fully disrupted: stopping evictions")
	}
	m.allFull = allFull
	m.states = states
	for z := range m.buckets {
		if _, ok := states[z]; !ok {
			delete(m.buckets, z)
			delete(m.pending, z)
		}
	}
	for z, s := range states {
		rate := ZoneRate(s, len(zoneReady[z]), c.cfg)
		if allFull {
			rate = 0
		}
		if b, ok := m.buckets[z]; ok {
			b.setRate(rate, now)
		} else {
			m.buckets[z] = newBucket(rate, now)
		}
	}
}
