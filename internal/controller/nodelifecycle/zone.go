package nodelifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ZoneState is a zone's disruption state, as upstream.
type ZoneState string

// Zone states.
const (
	StateInitial           ZoneState = "Initial"
	StateNormal            ZoneState = "Normal"
	StateFullDisruption    ZoneState = "FullDisruption"
	StatePartialDisruption ZoneState = "PartialDisruption"
)

// EvictionConfig is the mass-eviction policy; see DefaultEvictionConfig.
type EvictionConfig struct {
	EvictionRate              float64 // NoExecute taintings per second in a healthy zone
	SecondaryEvictionRate     float64 // per second in a partially disrupted large zone
	UnhealthyZoneThreshold    float64 // fraction of not-ready nodes making a zone partially disrupted
	LargeClusterSizeThreshold int     // zones up to this size stop evictions when partially disrupted
}

// DefaultEvictionConfig returns upstream's defaults.
func DefaultEvictionConfig() EvictionConfig {
	return EvictionConfig{EvictionRate: 0.1, SecondaryEvictionRate: 0.01, UnhealthyZoneThreshold: 0.55, LargeClusterSizeThreshold: 50}
}

// ZoneKey is the zone a node belongs to: region and zone labels, "" when
// the node has neither.
func ZoneKey(node *corev1.Node) string {
	region := node.Labels[corev1.LabelTopologyRegion]
	if region == "" {
		region = node.Labels[corev1.LabelFailureDomainBetaRegion]
	}
	zone := node.Labels[corev1.LabelTopologyZone]
	if zone == "" {
		zone = node.Labels[corev1.LabelFailureDomainBetaZone]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

// ComputeZoneState classifies a zone from the Ready statuses of its nodes:
// no ready node is FullDisruption; more than two not-ready nodes making at
// least threshold of the zone is PartialDisruption; otherwise Normal.
func ComputeZoneState(ready []corev1.ConditionStatus, threshold float64) ZoneState {
	up, down := 0, 0
	for _, s := range ready {
		if s == corev1.ConditionTrue {
			up++
		} else {
			down++
		}
	}
	switch {
	case up == 0 && down > 0:
		return StateFullDisruption
	case down > 2 && float64(down)/float64(down+up) >= threshold:
		return StatePartialDisruption
	default:
		return StateNormal
	}
}

// AllFullyDisrupted reports whether every zone is fully disrupted; then
// the controller stops all evictions, as upstream does.
func AllFullyDisrupted(states map[string]ZoneState) bool {
	if len(states) == 0 {
		return false
	}
	for _, s := range states {
		if s != StateFullDisruption {
			return false
		}
	}
	return true
}

// ZoneRate is the NoExecute tainting rate (per second) for a zone in state
// with size nodes.
func ZoneRate(state ZoneState, size int, cfg EvictionConfig) float64 {
	switch state {
	case StatePartialDisruption:
		if size > cfg.LargeClusterSizeThreshold {
			return cfg.SecondaryEvictionRate
		}
		return 0
	default:
		return cfg.EvictionRate
	}
}

// bucket is a token bucket of burst 1 on an injected time: it allows one
// action every 1/rate seconds; rate 0 allows none.
type bucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, now time.Time) *bucket {
	return &bucket{rate: rate, tokens: 1, last: now}
}

// setRate changes the rate, keeping the tokens earned so far.
func (b *bucket) setRate(rate float64, now time.Time) {
	b.refill(now)
	b.rate = rate
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		b.last = now
	}
	if b.tokens > 1 {
		b.tokens = 1
	}
}

// allow takes a token if one is available at now.
func (b *bucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return false
	}
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
