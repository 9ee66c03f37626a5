package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestPreemptionTakesNominationAndCounts: a pod nominated to a node loses
// its nomination when a pod of higher priority preempts on that node (its
// status.nominatedNodeName is cleared) and the higher pod is bound there;
// the scheduler's metrics count the attempts, preemptions and victims
// under upstream's names in the registry it was given.
func TestPreemptionTakesNominationAndCounts(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("n1", "2", "4Gi", 110))
	reg := prometheus.NewRegistry()
	startScheduler(t, srv, Config{Registerer: reg})
	create := func(name string, prio int32) {
		p := fakePod(name, "2", "")
		p.Spec.Priority = &prio
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	nominated := func(name string) (string, error) {
		p, err := cs.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return p.Status.NominatedNodeName, nil
	}
	create("victim", 0)
	waitFor(t, 10*time.Second, "victim bound", func() (bool, error) {
		n, err := podNode(ctx, cs, "victim")
		return n == "n1", err
	})
	create("mid", 500)
	waitFor(t, 10*time.Second, "mid nominated to n1", func() (bool, error) {
		n, err := nominated("mid")
		return n == "n1", err
	})
	// The victim stays terminating (no kubelet): mid waits, nominated.
	create("high", 1000)
	waitFor(t, 10*time.Second, "high nominated to n1 and mid's nomination cleared", func() (bool, error) {
		h, err := nominated("high")
		if err != nil {
			return false, err
		}
		m, err := nominated("mid")
		return h == "n1" && m == "", err
	})
	zero := int64(0)
	if err := cs.CoreV1().Pods("default").Delete(ctx, "victim", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "high bound to n1", func() (bool, error) {
		n, err := podNode(ctx, cs, "high")
		return n == "n1", err
	})
	if n, err := podNode(ctx, cs, "mid"); err != nil || n != "" {
		t.Errorf("mid bound to %q (%v), want it pending", n, err)
	}
	waitFor(t, 10*time.Second, "metrics", func() (bool, error) {
		m, err := gather(reg)
		if err != nil {
			return false, err
		}
		return m["scheduler_schedule_attempts_total{profile=default-scheduler,result=scheduled}"] >= 2 &&
			m["scheduler_schedule_attempts_total{profile=default-scheduler,result=unschedulable}"] >= 2 &&
			m["scheduler_scheduling_attempt_duration_seconds_count{profile=default-scheduler,result=scheduled}"] >= 2 &&
			m["scheduler_preemption_attempts_total"] >= 2 && m["scheduler_preemption_victims_count"] >= 2 &&
			m["scheduler_preemption_victims_sum"] >= 2, nil
	})
	m, err := gather(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"active", "backoff", "unschedulable"} {
		if _, ok := m["scheduler_pending_pods{queue="+q+"}"]; !ok {
			t.Errorf("no scheduler_pending_pods{queue=%s} in %v", q, m)
		}
	}
	if total := m["scheduler_pending_pods{queue=active}"] + m["scheduler_pending_pods{queue=backoff}"] +
		m["scheduler_pending_pods{queue=unschedulable}"]; total != 1 {
		t.Errorf("pending pods %v, want 1 (mid)", total)
	}
}

// TestMetricsSurviveTerms: a second scheduler (a later leadership term)
// on the same registry reuses the metrics instead of failing.
func TestMetricsSurviveTerms(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	reg := prometheus.NewRegistry()
	for term := 0; term < 2; term++ {
		if _, err := New(Config{RestConfig: srv.Config, Registerer: reg}); err != nil {
			t.Fatalf("term %d: %v", term, err)
		}
	}
	m, err := gather(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m["scheduler_pending_pods{queue=active}"]; !ok {
		t.Errorf("pending pods not exported: %v", m)
	}
}

// gather flattens reg's metrics to "name{label=value,...}" → value
// (counter, gauge, or a histogram's _count and _sum), labels sorted.
func gather(reg *prometheus.Registry) (map[string]float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + labelString(m)
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"+labelString(m)] = float64(m.GetHistogram().GetSampleCount())
				out[mf.GetName()+"_sum"+labelString(m)] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out, nil
}

func labelString(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return "{" + strings.Join(parts, ",") + "}"
}
