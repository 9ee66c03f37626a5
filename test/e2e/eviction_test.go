package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestNodePressureEviction runs a node whose memory threshold is always met
// (memory.available<1000Gi): the node reports MemoryPressure, is tainted,
// and its kubelet evicts a Burstable pod (a BestEffort one would be
// rejected at admission) but never a system-critical one.
func TestNodePressureEviction(t *testing.T) {
	c := startNode(t, "--eviction-hard", "memory.available<1000Gi")
	client := clientFor(t, c)
	ctx := context.Background()
	err := eventually(ctx, 60*time.Second, func() error {
		n, err := client.CoreV1().Nodes().Get(ctx, c.nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var cond *v1.NodeCondition
		for i := range n.Status.Conditions {
			if n.Status.Conditions[i].Type == v1.NodeMemoryPressure {
				cond = &n.Status.Conditions[i]
			}
		}
		if cond == nil || cond.Status != v1.ConditionTrue || cond.Reason != "KubeletHasInsufficientMemory" ||
			cond.Message != "kubelet has insufficient memory available" {
			return fmt.Errorf("MemoryPressure = %+v", cond)
		}
		for _, taint := range n.Spec.Taints {
			if taint.Key == v1.TaintNodeMemoryPressure && taint.Effect == v1.TaintEffectNoSchedule {
				return nil
			}
		}
		return fmt.Errorf("no memory-pressure taint: %+v", n.Spec.Taints)
	})
	if err != nil {
		t.Fatal(err)
	}

	k := newKubectl(t, c)
	ns := k.namespace("eviction")
	critical := busyboxPod("critical", c.nodeName, "sleep 3600", "  priorityClassName: system-cluster-critical\n")
	k.okIn(critical, "apply", "-n", ns, "-f", "-")
	k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/critical", "--timeout=60s")
	k.okIn(busyboxPod("burstable", c.nodeName, "sleep 3600", "    resources:\n      requests:\n        memory: 16Mi\n"), "apply", "-n", ns, "-f", "-")

	var evicted *v1.Pod
	err = eventually(ctx, 60*time.Second, func() error {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "burstable", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != v1.PodFailed || p.Status.Reason != "Evicted" {
			return fmt.Errorf("burstable is %s/%s", p.Status.Phase, p.Status.Reason)
		}
		evicted = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantMsg := "The node was low on resource: memory. Threshold quantity: 1000Gi, available: "
	if !strings.HasPrefix(evicted.Status.Message, wantMsg) {
		t.Errorf("message = %q, want prefix %q", evicted.Status.Message, wantMsg)
	}
	disruption := false
	for _, cond := range evicted.Status.Conditions {
		if cond.Type == v1.DisruptionTarget && cond.Status == v1.ConditionTrue && cond.Reason == "TerminationByKubelet" {
			disruption = true
		}
	}
	if !disruption {
		t.Errorf("no DisruptionTarget/TerminationByKubelet condition: %+v", evicted.Status.Conditions)
	}
	// The containers are stopped (the pod may have been evicted before
	// they started).
	err = eventually(ctx, 30*time.Second, func() error {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "burstable", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Running != nil {
				return fmt.Errorf("container %s still running", cs.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	err = eventually(ctx, 10*time.Second, func() error {
		ev := k.ok("get", "events", "-n", ns, "-o", `jsonpath={range .items[*]}{.type} {.reason} {.involvedObject.name}{"\n"}{end}`)
		if !strings.Contains(ev, "Warning Evicted burstable\n") {
			return fmt.Errorf("no Evicted event for burstable in:\n%s", ev)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	err = eventually(ctx, 10*time.Second, func() error {
		ev := k.ok("get", "events", "-n", "default", "-o", `jsonpath={range .items[*]}{.type} {.reason} {.involvedObject.kind}/{.involvedObject.name} {.message}{"\n"}{end}`)
		if want := "Warning EvictionThresholdMet Node/" + c.nodeName + " Attempting to reclaim memory\n"; !strings.Contains(ev, want) {
			return fmt.Errorf("no %q in:\n%s", want, ev)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	// Two more monitoring intervals: the critical pod, the only candidate
	// left, must keep running.
	time.Sleep(21 * time.Second)
	p, err := client.CoreV1().Pods(ns).Get(ctx, "critical", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != v1.PodRunning || p.Status.Reason != "" {
		t.Errorf("critical pod is %s/%s: %s", p.Status.Phase, p.Status.Reason, p.Status.Message)
	}
}
