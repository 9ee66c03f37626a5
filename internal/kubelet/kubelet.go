package kubelet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"
)

// Config is what a Kubelet needs. Client, Runtime, Images, Volumes, Probes,
// Recorder and NodeName are required.
type Config struct {
	NodeName string
	Client   kubernetes.Interface
	Runtime  internalapi.RuntimeService
	Images   internalapi.ImageManagerService
	Volumes  VolumeManager
	Probes   ProbeManager
	// ProbeUpdates carries the prober's result changes (converted from the
	// prober package's Update by the wiring); nil means none.
	ProbeUpdates <-chan ProbeUpdate
	// Hooks runs postStart and preStop handlers; nil uses the built-in
	// runner (exec through CRI, httpGet, sleep).
	Hooks    HookRunner
	Recorder record.EventRecorder
	Clock    clock.WithTicker
	Log      *slog.Logger
	RootDir  string // kubelet root: pods live in RootDir/pods/<uid>
	LogDir   string // container logs root (the /var/log/pods equivalent)

	ClusterDNS    []string
	ClusterDomain string
	HostIPs       []string
	// ResolvConf is the node's resolv.conf path for dnsPolicy Default;
	// empty means /etc/resolv.conf.
	ResolvConf string
	// Admitters are asked, in order, whether to take each new pod; nil
	// admits every pod.
	Admitters []PodAdmitter
	// RelistPeriod is how often the runtime is polled for container changes;
	// zero means 1 s.
	RelistPeriod time.Duration
}

// Kubelet runs the pods bound to one node.
type Kubelet struct {
	cfg         Config
	log         *slog.Logger
	clock       clock.WithTicker
	runtime     internalapi.RuntimeService
	images      internalapi.ImageManagerService
	hooks       HookRunner
	backoff     *restartBackOff
	pullBackOff *flowcontrol.Backoff
	sandbox     sandboxSettings
	memBytes    int64
	nodeCPU     resource.Quantity
	runtimeName string

	mu         sync.Mutex
	pods       map[types.UID]*v1.Pod // latest from the informer
	workers    map[types.UID]chan struct{}
	waiting    map[types.UID]map[string]waitingReason
	liveness   map[types.UID]map[string]bool
	pullErrors map[string]string
	lastStatus map[types.UID][]byte // JSON of the last status written
	relisted   map[types.UID]string // runtime fingerprint per pod
	evictions  map[types.UID]Eviction
	admitted   map[types.UID]*admission // decided once per pod
}

// New checks cfg and builds a Kubelet.
func New(cfg Config) (*Kubelet, error) {
	switch {
	case cfg.NodeName == "":
		return nil, errors.New("kubelet: NodeName is required")
	case cfg.Client == nil || cfg.Runtime == nil || cfg.Images == nil:
		return nil, errors.New("kubelet: Client, Runtime and Images are required")
	case cfg.Volumes == nil || cfg.Probes == nil || cfg.Recorder == nil:
		return nil, errors.New("kubelet: Volumes, Probes and Recorder are required")
	case cfg.RootDir == "" || cfg.LogDir == "":
		return nil, errors.New("kubelet: RootDir and LogDir are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RelistPeriod == 0 {
		cfg.RelistPeriod = time.Second
	}
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = "cluster.local"
	}
	resolv := cfg.ResolvConf
	if resolv == "" {
		resolv = "/etc/resolv.conf"
	}
	hostResolv, _ := os.ReadFile(resolv) // a node without one gets no DNS servers
	hostname, _ := os.Hostname()
	k := &Kubelet{
		cfg: cfg, log: cfg.Log, clock: cfg.Clock, runtime: cfg.Runtime, images: cfg.Images, hooks: cfg.Hooks,
		backoff:     newRestartBackOff(cfg.Clock),
		pullBackOff: flowcontrol.NewFakeBackOff(backOffInitial, backOffMax, cfg.Clock),
		sandbox: sandboxSettings{LogDir: cfg.LogDir, ClusterDNS: cfg.ClusterDNS, ClusterDomain: cfg.ClusterDomain,
			HostResolv: hostResolv, NodeHostname: hostname},
		memBytes:    memoryCapacity(),
		nodeCPU:     *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		runtimeName: "containerd",
		pods:        map[types.UID]*v1.Pod{},
		workers:     map[types.UID]chan struct{}{},
		waiting:     map[types.UID]map[string]waitingReason{},
		liveness:    map[types.UID]map[string]bool{},
		pullErrors:  map[string]string{},
		lastStatus:  map[types.UID][]byte{},
		relisted:    map[types.UID]string{},
		evictions:   map[types.UID]Eviction{},
		admitted:    map[types.UID]*admission{},
	}
	if k.hooks == nil {
		k.hooks = &builtinHooks{runtime: cfg.Runtime, clock: cfg.Clock}
	}
	return k, nil
}

// Run watches the pods bound to the node and runs them until ctx ends; it
// returns nil then, and an error only if it cannot start.
func (k *Kubelet) Run(ctx context.Context) error {
	if v, err := k.runtime.Version(ctx, "v1"); err == nil && v.RuntimeName != "" {
		k.runtimeName = v.RuntimeName
	} else if err != nil {
		return fmt.Errorf("runtime version: %w", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(k.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.cfg.NodeName).String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.podChanged(ctx, obj) },
		UpdateFunc: func(_, obj any) { k.podChanged(ctx, obj) },
		DeleteFunc: func(obj any) { k.podDeleted(ctx, obj) },
	})
	if err != nil {
		return fmt.Errorf("pod informer: %w", err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		factory.Shutdown()
		return nil // ctx ended before the cache synced
	}
	k.log.Info("kubelet started", "node", k.cfg.NodeName, "runtime", k.runtimeName)
	if k.cfg.ProbeUpdates != nil {
		go k.probeLoop(ctx)
	}
	k.relistLoop(ctx)
	factory.Shutdown()
	return nil
}

func (k *Kubelet) podChanged(ctx context.Context, obj any) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	k.pods[pod.UID] = pod
	k.mu.Unlock()
	k.dispatch(ctx, pod.UID)
}

func (k *Kubelet) podDeleted(ctx context.Context, obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	delete(k.pods, pod.UID)
	k.mu.Unlock()
	k.dispatch(ctx, pod.UID)
}

func (k *Kubelet) probeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-k.cfg.ProbeUpdates:
			if !ok {
				return
			}
			if u.LivenessFailed {
				k.mu.Lock()
				if k.liveness[u.PodUID] == nil {
					k.liveness[u.PodUID] = map[string]bool{}
				}
				k.liveness[u.PodUID][u.Container] = true
				k.mu.Unlock()
			}
			k.dispatch(ctx, u.PodUID)
		}
	}
}

// dispatch wakes the pod's worker, starting one if needed. It never blocks.
func (k *Kubelet) dispatch(ctx context.Context, uid types.UID) {
	k.mu.Lock()
	kick, ok := k.workers[uid]
	if !ok {
		kick = make(chan struct{}, 1)
		k.workers[uid] = kick
		go k.runWorker(ctx, uid, kick)
	}
	k.mu.Unlock()
	select {
	case kick <- struct{}{}:
	default:
	}
}

// runWorker syncs one pod whenever kicked, or when its requested resync
// time comes, until the pod is gone.
func (k *Kubelet) runWorker(ctx context.Context, uid types.UID, kick chan struct{}) {
	var timer clock.Timer
	var timerC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-timerC:
		}
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		done, requeue := k.syncUID(ctx, uid)
		if done {
			k.mu.Lock()
			if len(kick) == 0 {
				delete(k.workers, uid)
				k.mu.Unlock()
				return
			}
			k.mu.Unlock()
			continue
		}
		if requeue > 0 {
			timer = k.clock.NewTimer(requeue)
			timerC = timer.C()
		}
	}
}

// syncUID runs one sync of a pod known by UID. done means the pod is gone
// and the worker may end.
func (k *Kubelet) syncUID(ctx context.Context, uid types.UID) (done bool, requeue time.Duration) {
	k.mu.Lock()
	pod := k.pods[uid]
	k.mu.Unlock()
	log := k.log.With("pod", string(uid))
	var err error
	switch {
	case pod == nil:
		err = k.cleanupOrphan(ctx, uid)
		done = err == nil
	case pod.DeletionTimestamp != nil:
		err = k.terminatePod(ctx, pod)
		done = err == nil
	default:
		requeue, err = k.syncPod(ctx, pod)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, 0 // shutting down
		}
		log.Error("pod sync failed", "err", err)
		return false, 2 * time.Second
	}
	return done, requeue
}

// event records an event on the pod, or on one of its containers when c is set.
func (k *Kubelet) event(pod *v1.Pod, c *v1.Container, eventType, reason, msg string) {
	ref := &v1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
		UID: pod.UID, ResourceVersion: pod.ResourceVersion}
	if c != nil {
		ref.FieldPath = fmt.Sprintf("spec.containers{%s}", c.Name)
		for i := range pod.Spec.InitContainers {
			if pod.Spec.InitContainers[i].Name == c.Name {
				ref.FieldPath = fmt.Sprintf("spec.initContainers{%s}", c.Name)
			}
		}
	}
	k.cfg.Recorder.Event(ref, eventType, reason, msg)
}

func (k *Kubelet) setPullError(key, msg string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pullErrors[key] = msg
}

func (k *Kubelet) lastPullError(key string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pullErrors[key]
}

// memoryCapacity reads MemTotal from /proc/meminfo (0 when unknown).
func memoryCapacity() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb int64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err != nil {
		return 0
	}
	return kb * 1024
}

// Pod returns the kubelet's latest view of a pod bound to this node, or nil.
func (k *Kubelet) Pod(namespace, name string) *v1.Pod {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range k.pods {
		if p.Namespace == namespace && p.Name == name {
			return p
		}
	}
	return nil
}
