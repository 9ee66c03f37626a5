package eviction

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Signal names an eviction signal as upstream's kubelet does.
type Signal string

// The eviction signals.
const (
	SignalMemoryAvailable   Signal = "memory.available"
	SignalNodeFsAvailable   Signal = "nodefs.available"
	SignalNodeFsInodesFree  Signal = "nodefs.inodesFree"
	SignalImageFsAvailable  Signal = "imagefs.available"
	SignalImageFsInodesFree Signal = "imagefs.inodesFree"
	SignalPIDAvailable      Signal = "pid.available"
)

// DefaultHard is upstream's default --eviction-hard on Linux.
const DefaultHard = "memory.available<100Mi,nodefs.available<10%,imagefs.available<15%,nodefs.inodesFree<5%"

// Resource names (besides memory and ephemeral-storage) a signal reclaims.
const (
	resourceInodes v1.ResourceName = "inodes"
	resourcePIDs   v1.ResourceName = "pids"
)

// signalInfo is what a signal means: the resource it reclaims and the
// node condition it drives. ok is false for an unknown signal.
func signalInfo(s Signal) (res v1.ResourceName, cond v1.NodeConditionType, ok bool) {
	switch s {
	case SignalMemoryAvailable:
		return v1.ResourceMemory, v1.NodeMemoryPressure, true
	case SignalNodeFsAvailable, SignalImageFsAvailable:
		return v1.ResourceEphemeralStorage, v1.NodeDiskPressure, true
	case SignalNodeFsInodesFree, SignalImageFsInodesFree:
		return resourceInodes, v1.NodeDiskPressure, true
	case SignalPIDAvailable:
		return resourcePIDs, v1.NodePIDPressure, true
	}
	return "", "", false
}

// Threshold is one "signal<value" statement. Exactly one of Quantity and
// Percentage (a fraction of capacity in (0,1]) is set.
type Threshold struct {
	Signal     Signal
	Quantity   *resource.Quantity
	Percentage float64
	// GracePeriod is how long a soft threshold must be met before it
	// evicts; zero for hard thresholds.
	GracePeriod time.Duration
	Hard        bool
	// MinReclaim is how much beyond the threshold must be available again
	// before a met threshold counts as resolved (--eviction-minimum-reclaim);
	// nil for none.
	MinReclaim *Reclaim
}

// Value is the threshold as a quantity for a signal of the given capacity.
func (t Threshold) Value(capacity resource.Quantity) resource.Quantity {
	if t.Quantity != nil {
		return t.Quantity.DeepCopy()
	}
	return *resource.NewQuantity(int64(float64(capacity.Value())*t.Percentage), resource.BinarySI)
}

func (t Threshold) String() string {
	if t.Quantity != nil {
		return fmt.Sprintf("%s<%s", t.Signal, t.Quantity.String())
	}
	return fmt.Sprintf("%s<%s%%", t.Signal, strconv.FormatFloat(t.Percentage*100, 'f', -1, 64))
}

// ParseThresholds parses the --eviction-hard, --eviction-soft and
// --eviction-soft-grace-period flag values ("memory.available<100Mi,
// nodefs.available<10%" and "memory.available=1m30s"). A zero value
// ("<0" or "<0%") disables the signal. Every soft threshold needs a grace
// period, and a grace period needs a soft threshold.
func ParseThresholds(hard, soft, softGrace string) ([]Threshold, error) {
	out, err := parseStatements(hard, true)
	if err != nil {
		return nil, fmt.Errorf("parse eviction-hard: %w", err)
	}
	softs, err := parseStatements(soft, false)
	if err != nil {
		return nil, fmt.Errorf("parse eviction-soft: %w", err)
	}
	graces, err := parseGraces(softGrace)
	if err != nil {
		return nil, fmt.Errorf("parse eviction-soft-grace-period: %w", err)
	}
	for i := range softs {
		g, ok := graces[softs[i].Signal]
		if !ok {
			return nil, fmt.Errorf("eviction-soft %s has no grace period", softs[i].Signal)
		}
		softs[i].GracePeriod = g
		delete(graces, softs[i].Signal)
	}
	for s := range graces {
		return nil, fmt.Errorf("eviction-soft-grace-period %s has no soft threshold", s)
	}
	return append(out, softs...), nil
}

// parseStatements parses "signal<value" statements separated by commas.
func parseStatements(s string, hard bool) ([]Threshold, error) {
	var out []Threshold
	seen := map[Signal]bool{}
	for _, stmt := range splitList(s) {
		name, value, ok := strings.Cut(stmt, "<")
		if !ok {
			return nil, fmt.Errorf("%q: want signal<value", stmt)
		}
		sig := Signal(strings.TrimSpace(name))
		if _, _, known := signalInfo(sig); !known {
			return nil, fmt.Errorf("%q: unknown signal %q", stmt, sig)
		}
		if seen[sig] {
			return nil, fmt.Errorf("%q: signal %s given twice", stmt, sig)
		}
		seen[sig] = true
		t := Threshold{Signal: sig, Hard: hard}
		value = strings.TrimSpace(value)
		if p, isPct := strings.CutSuffix(value, "%"); isPct {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || f > 100 {
				return nil, fmt.Errorf("%q: percentage must be between 0%% and 100%%", stmt)
			}
			if f == 0 {
				continue
			}
			t.Percentage = f / 100
		} else {
			q, err := resource.ParseQuantity(value)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", stmt, err)
			}
			if q.Sign() < 0 {
				return nil, fmt.Errorf("%q: must not be negative", stmt)
			}
			if q.IsZero() {
				continue
			}
			t.Quantity = &q
		}
		out = append(out, t)
	}
	return out, nil
}

func parseGraces(s string) (map[Signal]time.Duration, error) {
	out := map[Signal]time.Duration{}
	for _, stmt := range splitList(s) {
		name, value, ok := strings.Cut(stmt, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want signal=duration", stmt)
		}
		sig := Signal(strings.TrimSpace(name))
		if _, _, known := signalInfo(sig); !known {
			return nil, fmt.Errorf("%q: unknown signal %q", stmt, sig)
		}
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q: invalid duration", stmt)
		}
		out[sig] = d
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
