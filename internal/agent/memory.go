package agent

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// MemoryPolicy is how the Go runtime of a `capstan agent` process trades
// garbage-collection CPU for heap size. The node agent is long-lived and
// mostly idle, so it collects more often than the runtime's default
// (GOGC=100) to keep its anonymous memory small.
type MemoryPolicy struct {
	// GCPercent is the heap growth that triggers a collection, as GOGC;
	// 0 keeps the runtime's setting, a negative value turns the collector
	// off (as GOGC=off).
	GCPercent int
	// Limit is a soft limit in bytes on the runtime's total memory, as
	// GOMEMLIMIT; 0 sets none.
	Limit int64
}

// DefaultMemoryPolicy is the agent's policy unless GOGC or GOMEMLIMIT say
// otherwise: with 30 pods it keeps the agent's anonymous memory about 4 MB
// lower than GOGC=100 at the cost of more frequent (small) collections.
// There is no default limit: a soft limit below the live heap of a busy
// node would only turn into collector CPU.
func DefaultMemoryPolicy() MemoryPolicy { return MemoryPolicy{GCPercent: 50} }

// EffectiveMemoryPolicy is p with the settings the operator made through
// the runtime's own environment variables removed, so GOGC and GOMEMLIMIT
// keep their documented meaning; getenv is os.Getenv in production. It
// returns an error for a malformed p.
func EffectiveMemoryPolicy(p MemoryPolicy, getenv func(string) string) (MemoryPolicy, error) {
	if p.Limit < 0 {
		return MemoryPolicy{}, fmt.Errorf("memory limit %d: must not be negative", p.Limit)
	}
	if strings.TrimSpace(getenv("GOGC")) != "" {
		p.GCPercent = 0
	}
	if strings.TrimSpace(getenv("GOMEMLIMIT")) != "" {
		p.Limit = 0
	}
	return p, nil
}

// Apply sets p in the running process's Go runtime (zero fields keep the
// current setting). It changes process-wide state, so only main calls it,
// once, before the agent starts.
func (p MemoryPolicy) Apply() {
	if p.GCPercent != 0 {
		debug.SetGCPercent(p.GCPercent)
	}
	if p.Limit > 0 {
		debug.SetMemoryLimit(p.Limit)
	}
}

// String renders p for logs, as the environment variables would spell it.
func (p MemoryPolicy) String() string {
	gc, limit := "runtime", "runtime"
	switch {
	case p.GCPercent < 0:
		gc = "off"
	case p.GCPercent > 0:
		gc = strconv.Itoa(p.GCPercent)
	}
	if p.Limit > 0 && p.Limit != math.MaxInt64 {
		limit = strconv.FormatInt(p.Limit, 10) + "B"
	}
	return "GOGC=" + gc + " GOMEMLIMIT=" + limit
}
