package agent

import (
	"log/slog"
	"strings"
	"testing"
)

func TestNewEvictionManager(t *testing.T) {
	tests := []struct {
		name string
		cfg  EvictionConfig
		err  string
	}{
		{name: "upstream default", cfg: EvictionConfig{Hard: "memory.available<100Mi,nodefs.available<10%,imagefs.available<15%,nodefs.inodesFree<5%"}},
		{name: "none", cfg: EvictionConfig{}},
		{name: "soft", cfg: EvictionConfig{Soft: "memory.available<1Gi", SoftGracePeriod: "memory.available=1m"}},
		{name: "bad hard", cfg: EvictionConfig{Hard: "memory.available>1Gi"}, err: "eviction thresholds: parse eviction-hard"},
		{name: "soft without grace", cfg: EvictionConfig{Soft: "memory.available<1Gi"}, err: "has no grace period"},
		{name: "minimum reclaim", cfg: EvictionConfig{Hard: "memory.available<100Mi", MinimumReclaim: "memory.available=0Mi,nodefs.available=500Mi"}},
		{name: "bad minimum reclaim", cfg: EvictionConfig{Hard: "memory.available<100Mi", MinimumReclaim: "memory.available<1Gi"},
			err: "parse eviction-minimum-reclaim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newEvictionManager(tc.cfg, nil, nil, t.TempDir(), "", nodeReclaim{}, func() {}, nil, slog.New(slog.DiscardHandler))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want containing %q", err, tc.err)
				}
				return
			}
			if err != nil || m == nil {
				t.Fatalf("manager %v, err %v", m, err)
			}
			if len(m.Pressure()) != 0 {
				t.Errorf("pressure before the first pass = %v", m.Pressure())
			}
		})
	}
}
