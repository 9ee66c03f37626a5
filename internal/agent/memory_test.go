package agent

import (
	"runtime/debug"
	"testing"
)

func TestEffectiveMemoryPolicy(t *testing.T) {
	tests := []struct {
		name    string
		policy  MemoryPolicy
		env     map[string]string
		want    MemoryPolicy
		wantErr bool
	}{
		{name: "default without environment", policy: DefaultMemoryPolicy(), want: MemoryPolicy{GCPercent: 50}},
		{name: "GOGC wins over the percent", policy: MemoryPolicy{GCPercent: 50, Limit: 1 << 20},
			env: map[string]string{"GOGC": "200"}, want: MemoryPolicy{Limit: 1 << 20}},
		{name: "GOGC=off wins too", policy: MemoryPolicy{GCPercent: 50}, env: map[string]string{"GOGC": "off"}, want: MemoryPolicy{}},
		{name: "GOMEMLIMIT wins over the limit", policy: MemoryPolicy{GCPercent: 50, Limit: 1 << 20},
			env: map[string]string{"GOMEMLIMIT": "64MiB"}, want: MemoryPolicy{GCPercent: 50}},
		{name: "blank variables are unset", policy: MemoryPolicy{GCPercent: 50, Limit: 1 << 20},
			env: map[string]string{"GOGC": " ", "GOMEMLIMIT": ""}, want: MemoryPolicy{GCPercent: 50, Limit: 1 << 20}},
		{name: "negative limit", policy: MemoryPolicy{Limit: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EffectiveMemoryPolicy(tt.policy, func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("policy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMemoryPolicyString(t *testing.T) {
	tests := []struct {
		policy MemoryPolicy
		want   string
	}{
		{MemoryPolicy{}, "GOGC=runtime GOMEMLIMIT=runtime"},
		{MemoryPolicy{GCPercent: 50}, "GOGC=50 GOMEMLIMIT=runtime"},
		{MemoryPolicy{GCPercent: -1, Limit: 32 << 20}, "GOGC=off GOMEMLIMIT=33554432B"},
	}
	for _, tt := range tests {
		if got := tt.policy.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.policy, got, tt.want)
		}
	}
}

// TestMemoryPolicyApply changes the test process's runtime settings and
// restores them.
func TestMemoryPolicyApply(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	tests := []struct {
		name        string
		policy      MemoryPolicy
		wantPercent int
		wantLimit   int64
	}{
		{"zero keeps the runtime's settings", MemoryPolicy{}, 100, oldLimit},
		{"percent and limit", MemoryPolicy{GCPercent: 40, Limit: 256 << 20}, 40, 256 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(oldLimit)
			tt.policy.Apply()
			if got := debug.SetGCPercent(100); got != tt.wantPercent {
				t.Errorf("GC percent = %d, want %d", got, tt.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tt.wantLimit)
			}
		})
	}
}
