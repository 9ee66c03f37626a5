package nodestatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/kubernetes"
	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"
)

// DefaultKubeletVersion is the version the node reports; it matches the
// gitVersion the Capstan API server serves at /version (internal/server).
const DefaultKubeletVersion = "v1.33.0+capstan"

// Options configure Run. Zero values take the documented defaults.
type Options struct {
	Client kubernetes.Interface
	// NodeName defaults to the lower-cased hostname.
	NodeName string
	// Runtime answers Version (containerRuntimeVersion); Images lists the
	// node's images. Either may be nil in tests.
	Runtime internalapi.RuntimeService
	Images  internalapi.ImageManagerService
	Clock   clock.WithTicker
	Log     *slog.Logger
	// DataDir is statted for ephemeral-storage capacity.
	DataDir string
	// ControlPlane adds the node-role.kubernetes.io/control-plane label.
	ControlPlane bool
	// InternalIP overrides the default-route interface's address.
	InternalIP string
	// Labels are extra Node labels (the well-known ones win).
	Labels map[string]string
	// Reserved is subtracted from capacity to give allocatable.
	Reserved v1.ResourceList
	// MaxPods defaults to 110.
	MaxPods int
	// Kick makes Run post the status at once (e.g. when the node became
	// ready); nil never kicks.
	Kick <-chan struct{}
	// PodCIDR, if set, goes into spec.podCIDR(s) at registration.
	PodCIDR        string
	KubeletVersion string // default DefaultKubeletVersion
	KubeletPort    int32  // default 10250
	// ReadyFunc says whether the node is ready (runtime up, network config
	// present); its error text becomes the Ready condition's message. nil
	// means always ready.
	ReadyFunc func(ctx context.Context) error
	// Pressure reports the pressure conditions that are True (the eviction
	// manager's); nil means none. Send on Kick when they change.
	Pressure func() []v1.NodeConditionType
	// Machine replaces the host facts (tests); nil reads them from the host.
	Machine func() (MachineInfo, error)
	// Intervals: status check (10 s), unchanged status report (5 min),
	// lease renewal (10 s) and lease duration (40 s), as upstream.
	StatusUpdateFrequency time.Duration
	StatusReportFrequency time.Duration
	LeaseRenewInterval    time.Duration
	LeaseDurationSeconds  int32
}

func (o *Options) setDefaults() error {
	if o.Client == nil {
		return errors.New("nodestatus: Client is required")
	}
	if o.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("node name from hostname: %w", err)
		}
		o.NodeName = strings.ToLower(h)
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.DataDir == "" {
		o.DataDir = "/"
	}
	if o.Machine == nil {
		dir := o.DataDir
		o.Machine = func() (MachineInfo, error) { return ReadMachineInfo(dir) }
	}
	o.MaxPods = orDefault(o.MaxPods, 110)
	o.KubeletPort = orDefault(o.KubeletPort, 10250)
	o.LeaseDurationSeconds = orDefault(o.LeaseDurationSeconds, 40)
	o.StatusUpdateFrequency = orDefault(o.StatusUpdateFrequency, 10*time.Second)
	o.StatusReportFrequency = orDefault(o.StatusReportFrequency, 5*time.Minute)
	o.LeaseRenewInterval = orDefault(o.LeaseRenewInterval, 10*time.Second)
	if o.KubeletVersion == "" {
		o.KubeletVersion = DefaultKubeletVersion
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (o *Options) static() Static {
	return Static{NodeName: o.NodeName, KubeletVersion: o.KubeletVersion, KubeletPort: o.KubeletPort,
		ControlPlane: o.ControlPlane, Labels: o.Labels, Reserved: o.Reserved, MaxPods: o.MaxPods, PodCIDR: o.PodCIDR}
}

// reporter is the state of one Run.
type reporter struct {
	opts       Options
	log        *slog.Logger
	lease      *leaseKeeper
	nodeUID    types.UID
	lastReport time.Time
}

// Run registers the Node, then keeps its status and Lease current until ctx
// ends. API errors are logged and retried on the next tick; Run returns nil
// when ctx ends, or an error for invalid options.
func Run(ctx context.Context, opts Options) error {
	if err := opts.setDefaults(); err != nil {
		return err
	}
	r := &reporter{opts: opts, log: opts.Log.With("node", opts.NodeName),
		lease: &leaseKeeper{client: opts.Client, node: opts.NodeName, duration: opts.LeaseDurationSeconds, clock: opts.Clock}}
	statusTick := opts.Clock.NewTicker(opts.StatusUpdateFrequency)
	defer statusTick.Stop()
	leaseTick := opts.Clock.NewTicker(opts.LeaseRenewInterval)
	defer leaseTick.Stop()
	r.tick(ctx, true, true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-statusTick.C():
			r.tick(ctx, true, false)
		case <-opts.Kick:
			r.tick(ctx, true, false)
		case <-leaseTick.C():
			r.tick(ctx, false, true)
		}
	}
}

// tick registers the node if needed (then doing both), updates the status
// and renews the lease.
func (r *reporter) tick(ctx context.Context, status, lease bool) {
	if r.nodeUID == "" {
		if err := r.register(ctx); err != nil {
			r.log.Error("register node failed", "err", err)
			return
		}
		status, lease = true, true
	}
	if status {
		if err := r.updateStatus(ctx); err != nil {
			r.log.Error("update node status failed", "err", err)
		}
	}
	if lease {
		if err := r.lease.renew(ctx, r.nodeUID); err != nil {
			r.log.Error("renew node lease failed", "err", err)
		}
	}
}

// register creates the Node, or adopts an existing one after making sure it
// carries the kubelet's labels.
func (r *reporter) register(ctx context.Context) error {
	m, err := r.opts.Machine()
	if err != nil {
		return err
	}
	want := NewNode(r.opts.static(), m)
	nodes := r.opts.Client.CoreV1().Nodes()
	created, err := nodes.Create(ctx, want, metav1.CreateOptions{})
	if err == nil {
		r.nodeUID = created.UID
		r.log.Info("registered node")
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create node %s: %w", r.opts.NodeName, err)
	}
	cur, err := nodes.Get(ctx, r.opts.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", r.opts.NodeName, err)
	}
	missing := false
	for k, v := range want.Labels {
		if got, ok := cur.Labels[k]; !ok || got != v {
			missing = true
		}
	}
	if missing {
		upd := cur.DeepCopy()
		if upd.Labels == nil {
			upd.Labels = map[string]string{}
		}
		for k, v := range want.Labels {
			upd.Labels[k] = v
		}
		if cur, err = nodes.Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update labels of node %s: %w", r.opts.NodeName, err)
		}
	}
	r.nodeUID = cur.UID
	r.log.Info("node already registered, adopted it")
	return nil
}

// updateStatus patches the status when it changed or when the report
// frequency has passed since the last write.
func (r *reporter) updateStatus(ctx context.Context) error {
	nodes := r.opts.Client.CoreV1().Nodes()
	cur, err := nodes.Get(ctx, r.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		r.nodeUID, r.lease.latest = "", nil // deleted: register again next tick
		return fmt.Errorf("node %s was deleted; re-registering", r.opts.NodeName)
	}
	if err != nil {
		return fmt.Errorf("get node %s: %w", r.opts.NodeName, err)
	}
	facts, err := r.facts(ctx)
	if err != nil {
		return err
	}
	now := r.opts.Clock.Now()
	want := Status(r.opts.static(), facts, cur.Status, metav1.NewTime(now))
	if !Changed(cur.Status, want) && now.Sub(r.lastReport) < r.opts.StatusReportFrequency {
		return nil
	}
	if err := patchStatus(ctx, r.opts.Client, cur, want); err != nil {
		return err
	}
	r.lastReport = now
	return nil
}

// facts gathers the machine, runtime and readiness inputs.
func (r *reporter) facts(ctx context.Context) (Facts, error) {
	m, err := r.opts.Machine()
	if err != nil {
		return Facts{}, err
	}
	if r.opts.InternalIP != "" {
		m.InternalIP = r.opts.InternalIP
	}
	f := Facts{Machine: m}
	if r.opts.Pressure != nil {
		f.Pressure = r.opts.Pressure()
	}
	if r.opts.Runtime != nil {
		if v, err := r.opts.Runtime.Version(ctx, "v1"); err == nil {
			f.RuntimeVersion = RuntimeVersion(v)
		} else {
			f.NotReady = fmt.Sprintf("container runtime is down: %v", err)
		}
	}
	if r.opts.Images != nil {
		if f.Images, err = r.opts.Images.ListImages(ctx, nil); err != nil {
			r.log.Warn("list images failed", "err", err)
		}
	}
	if f.NotReady == "" && r.opts.ReadyFunc != nil {
		if err := r.opts.ReadyFunc(ctx); err != nil {
			f.NotReady = err.Error()
		}
	}
	return f, nil
}

// patchStatus writes want as a strategic merge patch of the status
// subresource, computed against cur.
func patchStatus(ctx context.Context, client kubernetes.Interface, cur *v1.Node, want v1.NodeStatus) error {
	oldData, err := json.Marshal(v1.Node{Status: cur.Status})
	if err != nil {
		return fmt.Errorf("encode node status: %w", err)
	}
	newData, err := json.Marshal(v1.Node{Status: want})
	if err != nil {
		return fmt.Errorf("encode node status: %w", err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, v1.Node{})
	if err != nil {
		return fmt.Errorf("compute node status patch: %w", err)
	}
	if _, err := client.CoreV1().Nodes().Patch(ctx, cur.Name, types.StrategicMergePatchType, patch,
		metav1.PatchOptions{}, "status"); err != nil {
		return fmt.Errorf("patch status of node %s: %w", cur.Name, err)
	}
	return nil
}
