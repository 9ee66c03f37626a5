package agent

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/kubelet"
	"github.com/capstan/capstan/internal/kubelet/eviction"
)

// EvictionConfig are the node-pressure eviction settings (the kubelet's
// --eviction-* flags).
type EvictionConfig struct {
	// Hard, Soft and SoftGracePeriod are in the flag syntax
	// ("memory.available<100Mi,nodefs.available<10%", "memory.available=1m").
	// Empty means none of that kind (the --eviction-hard flag defaults to
	// eviction.DefaultHard).
	Hard, Soft, SoftGracePeriod string
	// PressureTransitionPeriod is how long a pressure condition stays after
	// the pressure ends (default 5m).
	PressureTransitionPeriod time.Duration
	// MaxPodGracePeriod is the grace period of soft evictions, in seconds.
	MaxPodGracePeriod int64
	// MinimumReclaim is the --eviction-minimum-reclaim value
	// ("memory.available=0Mi,nodefs.available=500Mi"); empty for none.
	MinimumReclaim string
}

// nodeReclaim are the node-level reclaim functions the eviction manager
// runs under disk pressure before it evicts pods.
type nodeReclaim struct {
	deleteContainers, deleteImages func(ctx context.Context) error
}

// newEvictionManager builds the eviction manager of a node whose kubelet
// root is rootDir and whose runtime keeps images under imageFs ("" when
// unknown). onChange is called when the pressure conditions change;
// nodeEvent records an event on the Node.
func newEvictionManager(cfg EvictionConfig, k *kubelet.Kubelet, rs internalapi.RuntimeService, rootDir, imageFs string,
	reclaim nodeReclaim, onChange func(), nodeEvent func(eventType, reason, message string), log *slog.Logger) (*eviction.Manager, error) {
	thresholds, err := eviction.ParseThresholds(cfg.Hard, cfg.Soft, cfg.SoftGracePeriod)
	if err != nil {
		return nil, fmt.Errorf("eviction thresholds: %w", err)
	}
	if thresholds, err = eviction.WithMinimumReclaim(thresholds, cfg.MinimumReclaim); err != nil {
		return nil, fmt.Errorf("eviction thresholds: %w", err)
	}
	paths := eviction.HostPaths{Proc: "/proc", NodeFs: rootDir, ImageFs: imageFs}
	return eviction.NewManager(eviction.Options{
		Thresholds: thresholds,
		Observe:    func(context.Context) (eviction.Observations, error) { return eviction.ReadObservations(paths) },
		Pods:       k.ActivePods,
		Stats: func(ctx context.Context) (map[types.UID][]eviction.ContainerUsage, map[types.UID]int64, error) {
			return eviction.RuntimeStats(ctx, rs)
		},
		Evict: func(ctx context.Context, pod *v1.Pod, msg string, grace int64) bool {
			return k.EvictPod(ctx, pod.UID, kubelet.Eviction{Reason: "Evicted", Message: msg, GracePeriod: grace})
		},
		DeleteUnusedContainers: reclaim.deleteContainers,
		DeleteUnusedImages:     reclaim.deleteImages,
		DedicatedImageFs:       imageFs != "" && !sameFileSystem(rootDir, imageFs),
		OnChange:               onChange,
		NodeEvent:              nodeEvent,
		TransitionPeriod:       cfg.PressureTransitionPeriod,
		MaxPodGracePeriod:      cfg.MaxPodGracePeriod,
		Clock:                  clock.RealClock{},
		Log:                    log,
	})
}
