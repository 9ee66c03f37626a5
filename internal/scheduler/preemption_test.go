package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestPreemptionEvictsAndBinds: a high-priority pod that fits nowhere
// preempts the low-priority pod on the only node, is nominated there, and
// is bound once the victim is gone.
func TestPreemptionEvictsAndBinds(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	if _, err := cs.CoreV1().Nodes().Create(ctx, fakeNode("n1", "2", "4Gi", 110), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	startScheduler(t, srv, Config{})
	low, high := int32(0), int32(1000)
	victim := fakePod("victim", "2", "")
	victim.Spec.Priority = &low
	victim, err := cs.CoreV1().Pods("default").Create(ctx, victim, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "victim bound", func() (bool, error) {
		n, err := podNode(ctx, cs, "victim")
		return n == "n1", err
	})
	preemptor := fakePod("preemptor", "1", "")
	preemptor.Spec.Priority = &high
	preemptor, err = cs.CoreV1().Pods("default").Create(ctx, preemptor, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The victim is marked and deleted with its grace period. There is no
	// kubelet to confirm it stopped, so the bound pod would wait out its
	// grace period with a deletionTimestamp; the test finishes the
	// deletion the way a kubelet would, with grace period 0.
	waitFor(t, 10*time.Second, "victim marked DisruptionTarget and deleting", func() (bool, error) {
		p, err := cs.CoreV1().Pods("default").Get(ctx, "victim", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if p.DeletionTimestamp == nil {
			return false, nil
		}
		for _, c := range p.Status.Conditions {
			if c.Type == v1.DisruptionTarget && c.Status == v1.ConditionTrue && c.Reason == "PreemptionByScheduler" {
				return true, nil
			}
		}
		return false, fmt.Errorf("victim deleting without DisruptionTarget condition: %+v", p.Status.Conditions)
	})
	p, err := cs.CoreV1().Pods("default").Get(ctx, "preemptor", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName == "" && p.Status.NominatedNodeName != "n1" {
		// The nomination is written right after the victims' deletion.
		waitFor(t, 10*time.Second, "preemptor nominated to n1", func() (bool, error) {
			p, err := cs.CoreV1().Pods("default").Get(ctx, "preemptor", metav1.GetOptions{})
			return err == nil && (p.Status.NominatedNodeName == "n1" || p.Spec.NodeName != ""), err
		})
	}
	zero := int64(0)
	if err := cs.CoreV1().Pods("default").Delete(ctx, "victim", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "preemptor bound to n1", func() (bool, error) {
		n, err := podNode(ctx, cs, "preemptor")
		return n == "n1", err
	})
	want := fmt.Sprintf("Preempted by pod %s on node n1", preemptor.UID)
	waitFor(t, 10*time.Second, "Preempted event on the victim", func() (bool, error) {
		evs, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, e := range evs.Items {
			if e.Reason == "Preempted" && e.Regarding.UID == victim.UID && e.Note == want {
				return true, nil
			}
		}
		return false, nil
	})
}

// TestPreemptionForAntiAffinity: a pod whose required anti-affinity is
// violated only by a lower-priority pod preempts that pod (preemption
// recomputes InterPodAffinity's counts without the victim) and is bound
// once it is gone.
func TestPreemptionForAntiAffinity(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "8", "16Gi", 110))
	startScheduler(t, srv, Config{})
	low, high := int32(0), int32(1000)
	db := fakePod("db", "100m", "")
	db.Labels, db.Spec.Priority = map[string]string{"app": "db"}, &low
	if _, err := cs.CoreV1().Pods("default").Create(ctx, db, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "db bound", func() (bool, error) {
		n, err := podNode(ctx, cs, "db")
		return n == "n1", err
	})
	cache := fakePod("cache", "100m", "")
	cache.Spec.Priority = &high
	cache.Spec.Affinity = &v1.Affinity{PodAntiAffinity: &v1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []v1.PodAffinityTerm{{TopologyKey: v1.LabelHostname,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}}}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, cache, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "db preempted", func() (bool, error) {
		p, err := cs.CoreV1().Pods("default").Get(ctx, "db", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return err == nil && p.DeletionTimestamp != nil, err
	})
	zero := int64(0)
	if err := cs.CoreV1().Pods("default").Delete(ctx, "db", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "cache bound to n1", func() (bool, error) {
		n, err := podNode(ctx, cs, "cache")
		return n == "n1", err
	})
}
