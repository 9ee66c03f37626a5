package storage

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics records etcd request latency under upstream's metric name.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// NewMetrics registers etcd_request_duration_seconds with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "etcd_request_duration_seconds",
		Help:    "Etcd request latency in seconds for each operation and object type.",
		Buckets: []float64{0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60},
	}, []string{"operation", "type"})}
	if err := reg.Register(m.duration); err != nil {
		return nil, err
	}
	return m, nil
}

// SetMetrics makes s record its etcd requests in m.
func (s *Store) SetMetrics(m *Metrics) { s.metrics = m }

// observe records one request that began at start on key.
func (s *Store) observe(op, key string, start time.Time) {
	if s.metrics == nil {
		return
	}
	s.metrics.duration.WithLabelValues(op, objectType(key)).Observe(time.Since(start).Seconds())
}

// objectType names the resource of a key: "/pods/ns/x" → "pods",
// "/apps/deployments/ns/x" → "deployments.apps".
func objectType(key string) string {
	parts := strings.SplitN(strings.TrimPrefix(key, "/"), "/", 3)
	if len(parts) >= 2 && (strings.Contains(parts[0], ".") || isGroup(parts[0])) {
		return parts[1] + "." + parts[0]
	}
	return parts[0]
}

// isGroup reports the dotless API group names used as key prefixes.
func isGroup(s string) bool {
	switch s {
	case "apps", "batch", "autoscaling", "policy", "allocations":
		return true
	}
	return false
}
