package agent

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"

	"github.com/capstan/capstan/internal/kubelet/imagegc"
)

func TestNewImageGC(t *testing.T) {
	tests := []struct {
		name   string
		policy imagegc.Policy
		err    string
	}{
		{name: "zero is the default", policy: imagegc.Policy{}},
		{name: "explicit", policy: imagegc.Policy{HighThresholdPercent: 90, LowThresholdPercent: 70, MinAge: time.Minute}},
		{name: "low above high", policy: imagegc.Policy{HighThresholdPercent: 70, LowThresholdPercent: 90}, err: "must not exceed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newImageGC(tc.policy, struct{ internalapi.RuntimeService }{}, struct {
				internalapi.ImageManagerService
			}{}, t.TempDir(), nil, slog.New(slog.DiscardHandler))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want containing %q", err, tc.err)
				}
				return
			}
			if err != nil || m == nil {
				t.Fatalf("manager %v, err %v", m, err)
			}
		})
	}
}

func TestFileSystems(t *testing.T) {
	dir := t.TempDir()
	capacity, available, err := fsSpace(dir)
	if err != nil || capacity <= 0 || available < 0 || available > capacity {
		t.Errorf("fsSpace(%s) = %d, %d, %v", dir, capacity, available, err)
	}
	if _, _, err := fsSpace(dir + "/missing"); err == nil {
		t.Error("fsSpace of a missing path: no error")
	}
	if !sameFileSystem(dir, t.TempDir()) {
		t.Error("two temp dirs are on different file systems")
	}
	if sameFileSystem(dir, "/proc") {
		t.Error("a temp dir is on procfs")
	}
}
