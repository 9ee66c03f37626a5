package scheduler

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan/capstan/internal/scheduler/queue"
)

// Results of a scheduling attempt, upstream's label values.
const (
	resultScheduled     = "scheduled"
	resultUnschedulable = "unschedulable"
	resultError         = "error"
)

// metrics are the scheduler's Prometheus metrics under upstream's names.
// They are registered once per registry and survive leadership terms: a
// later term reuses the collectors already registered and points the
// pending-pods gauge at its own queue.
type metrics struct {
	attempts   *prometheus.CounterVec   // scheduler_schedule_attempts_total{result,profile}
	duration   *prometheus.HistogramVec // scheduler_scheduling_attempt_duration_seconds{result,profile}
	preemption prometheus.Counter       // scheduler_preemption_attempts_total
	victims    prometheus.Histogram     // scheduler_preemption_victims
	pending    *pendingPods             // scheduler_pending_pods{queue}
}

// newMetrics builds the metrics and registers them with reg (nil: not
// exported, still counted), reusing collectors a previous term registered.
func newMetrics(reg prometheus.Registerer, q *queue.Queue) (*metrics, error) {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "scheduler", Name: "schedule_attempts_total",
			Help: "Number of attempts to schedule pods, by result: 'unschedulable' when no node fits, 'error' for a fault of the scheduler.",
		}, []string{"result", "profile"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "scheduler", Name: "scheduling_attempt_duration_seconds",
			Help:    "Latency of a scheduling attempt in seconds, the algorithm and the binding together.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"result", "profile"}),
		preemption: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "scheduler", Name: "preemption_attempts_total",
			Help: "Number of preemption attempts in the cluster so far.",
		}),
		victims: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "scheduler", Name: "preemption_victims",
			Help:    "Number of victims chosen by a preemption.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 7),
		}),
		pending: &pendingPods{desc: prometheus.NewDesc("scheduler_pending_pods",
			"Number of pending pods by queue: 'active' waiting to be tried, 'backoff' waiting out a backoff after a failure, 'unschedulable' waiting for a cluster change that may let them fit.",
			[]string{"queue"}, nil)},
	}
	if reg == nil {
		m.pending.q.Store(q)
		return m, nil
	}
	if err := register(reg, &m.attempts); err != nil {
		return nil, err
	}
	if err := register(reg, &m.duration); err != nil {
		return nil, err
	}
	if err := register(reg, &m.preemption); err != nil {
		return nil, err
	}
	if err := register(reg, &m.victims); err != nil {
		return nil, err
	}
	if err := register(reg, &m.pending); err != nil {
		return nil, err
	}
	m.pending.q.Store(q)
	return m, nil
}

// register registers *c, or replaces it with the equal collector already
// registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c *C) error {
	err := reg.Register(*c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			*c = existing
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("register scheduler metrics: %w", err)
	}
	return nil
}

// attempt records one finished scheduling attempt of a pod of profile
// that started at start.
func (m *metrics) attempt(result, profile string, start time.Time) {
	m.attempts.WithLabelValues(result, profile).Inc()
	m.duration.WithLabelValues(result, profile).Observe(time.Since(start).Seconds())
}

// pendingPods reports the queue's lengths when scraped.
type pendingPods struct {
	desc *prometheus.Desc
	q    atomic.Pointer[queue.Queue]
}

func (p *pendingPods) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

func (p *pendingPods) Collect(ch chan<- prometheus.Metric) {
	q := p.q.Load()
	if q == nil {
		return
	}
	active, backoff, unschedulable := q.Lengths()
	for name, n := range map[string]int{"active": active, "backoff": backoff, "unschedulable": unschedulable} {
		ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, float64(n), name)
	}
}
