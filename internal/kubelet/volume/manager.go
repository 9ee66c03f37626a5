package volume

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
)

// Plugin directory names under <root>/pods/<uid>/volumes, as upstream.
const (
	pluginEmptyDir    = "kubernetes.io~empty-dir"
	pluginConfigMap   = "kubernetes.io~configmap"
	pluginSecret      = "kubernetes.io~secret"
	pluginDownwardAPI = "kubernetes.io~downward-api"
	pluginProjected   = "kubernetes.io~projected"
)

// DefaultRefreshPeriod is how often Run re-projects configMap, secret,
// downwardAPI and projected volumes of the pods that are set up.
const DefaultRefreshPeriod = time.Minute

// Options configures a Manager.
type Options struct {
	// Client reads ConfigMaps, Secrets, PVCs, PVs and the Node, and requests
	// service account tokens.
	Client kubernetes.Interface
	// RootDir is the kubelet root directory: pod volumes live under
	// RootDir/pods/<uid>/volumes.
	RootDir string
	Log     *slog.Logger
	Clock   clock.Clock
	// NodeName names the Node whose allocatable resources size memory-backed
	// volumes when Allocatable is nil.
	NodeName string
	// Allocatable, if set, is used instead of the Node's allocatable
	// resources: the tmpfs size of memory-backed volumes without sizeLimit
	// and the value of downward API limits a container does not set.
	Allocatable v1.ResourceList
	// RefreshPeriod overrides DefaultRefreshPeriod.
	RefreshPeriod time.Duration
}

// Manager sets up and tears down the volumes of the pods on this node. It is
// safe for concurrent use.
type Manager struct {
	opts Options
	log  *slog.Logger
	clk  clock.Clock

	// writeMu serialises every write into volume directories, so SetUp and
	// the refresh loop never publish the same volume at once.
	writeMu sync.Mutex

	mu          sync.Mutex
	pods        map[types.UID]*v1.Pod
	tokens      map[tokenKey]cachedToken
	allocatable v1.ResourceList
}

// NewManager returns a Manager; it does nothing until called.
func NewManager(opts Options) *Manager {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.RefreshPeriod <= 0 {
		opts.RefreshPeriod = DefaultRefreshPeriod
	}
	return &Manager{
		opts:        opts,
		log:         opts.Log,
		clk:         opts.Clock,
		pods:        map[types.UID]*v1.Pod{},
		tokens:      map[tokenKey]cachedToken{},
		allocatable: opts.Allocatable,
	}
}

// PodVolumesDir is <root>/pods/<uid>/volumes.
func (m *Manager) PodVolumesDir(uid types.UID) string {
	return filepath.Join(m.opts.RootDir, "pods", string(uid), "volumes")
}

func (m *Manager) volumeDir(uid types.UID, plugin, name string) string {
	return filepath.Join(m.PodVolumesDir(uid), plugin, name)
}

// UpdatePod records the latest version of a pod that is set up, so the
// refresh loop projects its current labels and annotations. Pods that were
// never set up are ignored.
func (m *Manager) UpdatePod(pod *v1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.pods[pod.UID]; ok {
		m.pods[pod.UID] = pod.DeepCopy()
	}
}

// SetUp makes every volume of the pod ready on the host and returns, per
// volume name, the host path to bind-mount. It is idempotent: calling it on
// every sync refreshes contents and records the pod for Run.
func (m *Manager) SetUp(ctx context.Context, pod *v1.Pod) (map[string]string, error) {
	m.mu.Lock()
	m.pods[pod.UID] = pod.DeepCopy()
	m.mu.Unlock()
	paths := make(map[string]string, len(pod.Spec.Volumes))
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		p, err := m.setUpVolume(ctx, pod, vol)
		if err != nil {
			return nil, fmt.Errorf("MountVolume.SetUp failed for volume %q : %w", vol.Name, err)
		}
		paths[vol.Name] = p
	}
	return paths, nil
}

func (m *Manager) setUpVolume(ctx context.Context, pod *v1.Pod, vol *v1.Volume) (string, error) {
	src := &vol.VolumeSource
	switch {
	case src.EmptyDir != nil:
		return m.setUpEmptyDir(ctx, pod, vol)
	case src.HostPath != nil:
		return src.HostPath.Path, checkHostPathType(src.HostPath.Path, src.HostPath.Type)
	case src.PersistentVolumeClaim != nil:
		return m.claimPath(ctx, pod.Namespace, src.PersistentVolumeClaim.ClaimName)
	}
	plugin, memory, ok := contentPlugin(vol)
	if !ok {
		return "", errors.New("unsupported volume type")
	}
	dir := m.volumeDir(pod.UID, plugin, vol.Name)
	created, err := makeVolumeDir(dir)
	if err != nil {
		return "", err
	}
	if memory {
		if err := mountTmpfs(dir, m.tmpfsSize(ctx, pod, nil)); err != nil {
			return "", err
		}
	}
	if created && fsGroup(pod) != nil {
		if err := setOwnership(dir, *fsGroup(pod), true); err != nil {
			return "", fmt.Errorf("set volume ownership: %w", err)
		}
	}
	if _, err := m.writeContent(ctx, pod, vol, dir); err != nil {
		return "", err
	}
	return dir, nil
}

// contentPlugin names the plugin directory of the volume types whose
// contents the manager writes, and whether they live on tmpfs.
func contentPlugin(vol *v1.Volume) (plugin string, memory bool, ok bool) {
	switch {
	case vol.ConfigMap != nil:
		return pluginConfigMap, false, true
	case vol.Secret != nil:
		return pluginSecret, true, true
	case vol.DownwardAPI != nil:
		return pluginDownwardAPI, false, true
	case vol.Projected != nil:
		return pluginProjected, true, true
	}
	return "", false, false
}

func fsGroup(pod *v1.Pod) *int64 {
	if pod.Spec.SecurityContext == nil {
		return nil
	}
	return pod.Spec.SecurityContext.FSGroup
}

// makeVolumeDir creates dir with mode 0777 (as upstream emptyDir) and
// reports whether it did.
func makeVolumeDir(dir string) (bool, error) {
	if _, err := os.Stat(dir); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("stat %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, fmt.Errorf("create volume directory: %w", err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		return false, fmt.Errorf("chmod volume directory: %w", err)
	}
	return true, nil
}

func (m *Manager) setUpEmptyDir(ctx context.Context, pod *v1.Pod, vol *v1.Volume) (string, error) {
	ed := vol.EmptyDir
	dir := m.volumeDir(pod.UID, pluginEmptyDir, vol.Name)
	switch ed.Medium {
	case v1.StorageMediumDefault, v1.StorageMediumMemory:
	default:
		return "", fmt.Errorf("emptyDir medium %q is not supported", ed.Medium)
	}
	created, err := makeVolumeDir(dir)
	if err != nil {
		return "", err
	}
	if ed.Medium == v1.StorageMediumMemory {
		if err := mountTmpfs(dir, m.tmpfsSize(ctx, pod, ed)); err != nil {
			return "", err
		}
	}
	if created && fsGroup(pod) != nil {
		if err := setOwnership(dir, *fsGroup(pod), false); err != nil {
			return "", fmt.Errorf("set volume ownership: %w", err)
		}
	}
	return dir, nil
}

// writeContent projects a configMap, secret, downwardAPI or projected
// volume into dir with the atomic writer; it reports whether the contents
// changed.
func (m *Manager) writeContent(ctx context.Context, pod *v1.Pod, vol *v1.Volume, dir string) (bool, error) {
	payload, err := m.payload(ctx, pod, vol)
	if err != nil {
		return false, err
	}
	w := &atomicWriter{dir: dir, now: m.clk.Now}
	if gid := fsGroup(pod); gid != nil {
		w.addedBits = roGroupBits
		w.setPerms = func(d string) error { return setOwnership(d, *gid, true) }
	}
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	// Re-check under writeMu: TearDown may have run since the caller looked.
	m.mu.Lock()
	_, tracked := m.pods[pod.UID]
	m.mu.Unlock()
	if !tracked {
		return false, fmt.Errorf("pod %s is being torn down", pod.UID)
	}
	if _, memory, _ := contentPlugin(vol); memory {
		mounted, err := isMountPoint(dir)
		if err != nil {
			return false, err
		}
		if !mounted {
			return false, fmt.Errorf("%s is not a tmpfs mount: refusing to write to disk", dir)
		}
	}
	changed, err := w.Write(payload)
	if err != nil {
		return changed, fmt.Errorf("write volume contents: %w", err)
	}
	return changed, nil
}

// TearDown unmounts and removes everything SetUp made for the pod. It works
// from what is on disk, so it also cleans up after a kubelet restart, and it
// is idempotent. It refuses to remove anything while a mount remains below
// the pod's volumes directory.
func (m *Manager) TearDown(_ context.Context, podUID types.UID) error {
	m.mu.Lock()
	delete(m.pods, podUID)
	for k := range m.tokens {
		if k.pod == podUID {
			delete(m.tokens, k)
		}
	}
	m.mu.Unlock()
	// Hold writeMu so that no refresh writes between unmount and removal.
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	dir := m.PodVolumesDir(podUID)
	if err := unmountAll(dir); err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	}
	left, err := mountsUnder(dir)
	if err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	}
	if len(left) > 0 {
		return fmt.Errorf("tear down volumes of pod %s: still mounted: %v", podUID, left)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("tear down volumes of pod %s: %w", podUID, err)
	}
	// The pod directory also holds the kubelet's own files; remove it only
	// once it is empty.
	_ = os.Remove(filepath.Dir(dir))
	return nil
}

// Run refreshes configMap, secret, downwardAPI and projected volumes of the
// pods that are set up every RefreshPeriod until ctx ends. Contents are
// swapped only when they changed.
func (m *Manager) Run(ctx context.Context) {
	for {
		t := m.clk.NewTimer(m.opts.RefreshPeriod)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		m.Refresh(ctx)
	}
}

// Refresh re-projects every content volume of every pod that is set up, once.
// Errors are logged: a failing volume keeps its last contents.
func (m *Manager) Refresh(ctx context.Context) {
	m.mu.Lock()
	pods := make([]*v1.Pod, 0, len(m.pods))
	for _, p := range m.pods {
		pods = append(pods, p)
	}
	m.mu.Unlock()
	for _, pod := range pods {
		for i := range pod.Spec.Volumes {
			vol := &pod.Spec.Volumes[i]
			plugin, _, ok := contentPlugin(vol)
			if !ok {
				continue
			}
			dir := m.volumeDir(pod.UID, plugin, vol.Name)
			if _, err := os.Stat(dir); err != nil {
				continue
			}
			changed, err := m.writeContent(ctx, pod, vol, dir)
			log := m.log.With("pod", pod.Namespace+"/"+pod.Name, "volume", vol.Name)
			switch {
			case err != nil:
				log.Warn("volume refresh failed", "err", err)
			case changed:
				log.Info("volume contents updated")
			}
		}
	}
}
