package eviction

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Reclaim is a minimum reclaim: exactly one of Quantity and Percentage (a
// fraction of capacity in (0,1]) is set.
type Reclaim struct {
	Quantity   *resource.Quantity
	Percentage float64
}

// Value is the reclaim as a quantity for a signal of the given capacity.
func (r Reclaim) Value(capacity resource.Quantity) resource.Quantity {
	if r.Quantity != nil {
		return r.Quantity.DeepCopy()
	}
	return *resource.NewQuantity(int64(float64(capacity.Value())*r.Percentage), resource.BinarySI)
}

// target is what must be available for t to be resolved: its value, plus
// its minimum reclaim when withMinReclaim.
func (t Threshold) target(capacity resource.Quantity, withMinReclaim bool) resource.Quantity {
	v := t.Value(capacity)
	if withMinReclaim && t.MinReclaim != nil {
		v.Add(t.MinReclaim.Value(capacity))
	}
	return v
}

// WithMinimumReclaim returns ts with the minimum reclaims of the
// --eviction-minimum-reclaim flag value ("memory.available=0Mi,
// nodefs.available=500Mi", percentages allowed) set on every threshold of
// the signal, hard and soft. ts is not modified.
func WithMinimumReclaim(ts []Threshold, spec string) ([]Threshold, error) {
	reclaims := map[Signal]Reclaim{}
	for _, stmt := range splitList(spec) {
		name, value, ok := strings.Cut(stmt, "=")
		if !ok {
			return nil, fmt.Errorf("parse eviction-minimum-reclaim: %q: want signal=value", stmt)
		}
		sig := Signal(strings.TrimSpace(name))
		if _, _, known := signalInfo(sig); !known {
			return nil, fmt.Errorf("parse eviction-minimum-reclaim: %q: unknown signal %q", stmt, sig)
		}
		if _, dup := reclaims[sig]; dup {
			return nil, fmt.Errorf("parse eviction-minimum-reclaim: %q: signal %s given twice", stmt, sig)
		}
		r, err := parseReclaim(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("parse eviction-minimum-reclaim: %q: %w", stmt, err)
		}
		reclaims[sig] = r
	}
	out := make([]Threshold, len(ts))
	for i, t := range ts {
		if r, ok := reclaims[t.Signal]; ok {
			t.MinReclaim = &r
		}
		out[i] = t
	}
	return out, nil
}

func parseReclaim(value string) (Reclaim, error) {
	if p, isPct := strings.CutSuffix(value, "%"); isPct {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f > 100 {
			return Reclaim{}, fmt.Errorf("percentage must be between 0%% and 100%%")
		}
		return Reclaim{Percentage: f / 100}, nil
	}
	q, err := resource.ParseQuantity(value)
	if err != nil {
		return Reclaim{}, err
	}
	if q.Sign() < 0 {
		return Reclaim{}, fmt.Errorf("must not be negative")
	}
	return Reclaim{Quantity: &q}, nil
}
