package cri

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The happy path runs against a real containerd in
// internal/agent/containerd's integration tests.
func TestConnectFailsClearly(t *testing.T) {
	missing := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	tests := []struct{ endpoint, want string }{
		{"", "empty endpoint"},
		{missing, missing},
		{"tcp://127.0.0.1:1", "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, _, err := Connect(ctx, tc.endpoint, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failing took %v; it should not wait for the full timeout", d)
			}
		})
	}
}
