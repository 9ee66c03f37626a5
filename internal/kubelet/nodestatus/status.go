package nodestatus

import (
	"slices"
	"sort"

	v1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Limits of the images list, as upstream (nodeStatusMaxImages,
// maxNamesPerImageInNodeStatus).
const (
	maxImages        = 50
	maxNamesPerImage = 5
)

// Well-known labels the kubelet sets on its Node.
const (
	LabelHostname     = "kubernetes.io/hostname"
	LabelOS           = "kubernetes.io/os"
	LabelArch         = "kubernetes.io/arch"
	LabelControlPlane = "node-role.kubernetes.io/control-plane"
	LabelBetaOS       = "beta.kubernetes.io/os"
	LabelBetaArch     = "beta.kubernetes.io/arch"
)

// Static is the part of the node description that does not change while the
// kubelet runs.
type Static struct {
	NodeName       string
	KubeletVersion string
	KubeletPort    int32
	ControlPlane   bool
	// Labels are extra labels; the well-known ones win on conflict.
	Labels   map[string]string
	Reserved v1.ResourceList
	MaxPods  int
	PodCIDR  string
}

// Facts are the changing inputs of one status computation.
type Facts struct {
	Machine MachineInfo
	// RuntimeVersion is "<runtime name>://<version>" from CRI Version.
	RuntimeVersion string
	Images         []*runtimeapi.Image
	// NotReady is why the node is not ready; empty means ready.
	NotReady string
	// Pressure are the pressure conditions (MemoryPressure, DiskPressure,
	// PIDPressure) that are True; the others are False.
	Pressure []v1.NodeConditionType
}

// NodeLabels are the labels the kubelet owns on its Node.
func NodeLabels(s Static, m MachineInfo) map[string]string {
	out := map[string]string{}
	for k, v := range s.Labels {
		out[k] = v
	}
	out[LabelHostname] = s.NodeName
	out[LabelOS], out[LabelBetaOS] = "linux", "linux"
	out[LabelArch], out[LabelBetaArch] = m.Architecture, m.Architecture
	if s.ControlPlane {
		out[LabelControlPlane] = ""
	}
	return out
}

// NewNode is the Node the kubelet registers.
func NewNode(s Static, m MachineInfo) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.NodeName, Labels: NodeLabels(s, m),
		Annotations: map[string]string{"volumes.kubernetes.io/controller-managed-attach-detach": "true"}}}
	if s.PodCIDR != "" {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = s.PodCIDR, []string{s.PodCIDR}
	}
	return n
}

// Capacity is the machine's resources as the node reports them.
func Capacity(s Static, m MachineInfo) v1.ResourceList {
	return v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(m.NumCPU), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(m.MemoryBytes, resource.BinarySI),
		v1.ResourcePods:             *resource.NewQuantity(int64(s.MaxPods), resource.DecimalSI),
		v1.ResourceEphemeralStorage: *resource.NewQuantity(m.StorageBytes, resource.BinarySI),
		"hugepages-1Gi":             *resource.NewQuantity(0, resource.BinarySI),
		"hugepages-2Mi":             *resource.NewQuantity(0, resource.BinarySI),
	}
}

// Allocatable is capacity minus reserved, never below zero.
func Allocatable(capacity, reserved v1.ResourceList) v1.ResourceList {
	out := v1.ResourceList{}
	for name, q := range capacity {
		q = q.DeepCopy()
		if r, ok := reserved[name]; ok {
			q.Sub(r)
			if q.Sign() < 0 {
				q.Set(0)
			}
		}
		out[name] = q
	}
	return out
}

// Status computes the node status at now from the previous status (whose
// conditions keep their transition times when unchanged) and the facts.
// Conditions owned by others (NetworkUnavailable, …) are kept as they are.
func Status(s Static, f Facts, prev v1.NodeStatus, now metav1.Time) v1.NodeStatus {
	capacity := Capacity(s, f.Machine)
	st := v1.NodeStatus{
		Capacity:        capacity,
		Allocatable:     Allocatable(capacity, s.Reserved),
		Phase:           prev.Phase,
		DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: s.KubeletPort}},
		NodeInfo: v1.NodeSystemInfo{
			MachineID: f.Machine.MachineID, SystemUUID: f.Machine.SystemUUID, BootID: f.Machine.BootID,
			KernelVersion: f.Machine.KernelVersion, OSImage: f.Machine.OSImage,
			ContainerRuntimeVersion: f.RuntimeVersion, KubeletVersion: s.KubeletVersion,
			OperatingSystem: "linux", Architecture: f.Machine.Architecture,
		},
		Images:          nodeImages(f.Images),
		VolumesInUse:    prev.VolumesInUse,
		VolumesAttached: prev.VolumesAttached,
		Config:          prev.Config,
	}
	if f.Machine.InternalIP != "" {
		st.Addresses = append(st.Addresses, v1.NodeAddress{Type: v1.NodeInternalIP, Address: f.Machine.InternalIP})
	}
	if f.Machine.Hostname != "" {
		st.Addresses = append(st.Addresses, v1.NodeAddress{Type: v1.NodeHostName, Address: f.Machine.Hostname})
	}
	st.Conditions = conditions(f.NotReady, f.Pressure, prev.Conditions, now)
	return st
}

// conditions returns prev with the kubelet's four conditions set.
func conditions(notReady string, pressure []v1.NodeConditionType, prev []v1.NodeCondition, now metav1.Time) []v1.NodeCondition {
	ready := v1.NodeCondition{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet is posting ready status"}
	if notReady != "" {
		ready = v1.NodeCondition{Type: v1.NodeReady, Status: v1.ConditionFalse, Reason: "KubeletNotReady", Message: notReady}
	}
	own := []v1.NodeCondition{
		pressureCondition(v1.NodeMemoryPressure, slices.Contains(pressure, v1.NodeMemoryPressure)),
		pressureCondition(v1.NodeDiskPressure, slices.Contains(pressure, v1.NodeDiskPressure)),
		pressureCondition(v1.NodePIDPressure, slices.Contains(pressure, v1.NodePIDPressure)),
		ready,
	}
	out := make([]v1.NodeCondition, 0, len(prev)+len(own))
	byType := map[v1.NodeConditionType]v1.NodeCondition{}
	for _, c := range prev {
		byType[c.Type] = c
	}
	owned := map[v1.NodeConditionType]bool{}
	for _, c := range own {
		owned[c.Type] = true
		c.LastHeartbeatTime, c.LastTransitionTime = now, now
		if old, ok := byType[c.Type]; ok && old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out = append(out, c)
	}
	for _, c := range prev {
		if !owned[c.Type] {
			out = append(out, c)
		}
	}
	return out
}

// pressureCondition is a pressure condition with upstream's reasons and
// messages.
func pressureCondition(t v1.NodeConditionType, on bool) v1.NodeCondition {
	c := v1.NodeCondition{Type: t, Status: v1.ConditionFalse}
	if on {
		c.Status = v1.ConditionTrue
	}
	switch {
	case t == v1.NodeMemoryPressure && on:
		c.Reason, c.Message = "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"
	case t == v1.NodeMemoryPressure:
		c.Reason, c.Message = "KubeletHasSufficientMemory", "kubelet has sufficient memory available"
	case t == v1.NodeDiskPressure && on:
		c.Reason, c.Message = "KubeletHasDiskPressure", "kubelet has disk pressure"
	case t == v1.NodeDiskPressure:
		c.Reason, c.Message = "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
	case t == v1.NodePIDPressure && on:
		c.Reason, c.Message = "KubeletHasInsufficientPID", "kubelet has insufficient PID available"
	default:
		c.Reason, c.Message = "KubeletHasSufficientPID", "kubelet has sufficient PID available"
	}
	return c
}

// nodeImages lists images largest first, as upstream.
func nodeImages(images []*runtimeapi.Image) []v1.ContainerImage {
	sorted := append([]*runtimeapi.Image(nil), images...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].GetSize() > sorted[j].GetSize() })
	var out []v1.ContainerImage
	for _, img := range sorted {
		names := append(append([]string(nil), img.GetRepoDigests()...), img.GetRepoTags()...)
		if len(names) == 0 {
			continue
		}
		if len(names) > maxNamesPerImage {
			names = names[:maxNamesPerImage]
		}
		out = append(out, v1.ContainerImage{Names: names, SizeBytes: int64(img.GetSize())})
		if len(out) == maxImages {
			break
		}
	}
	return out
}

// Changed says whether two statuses differ in anything but heartbeat times.
func Changed(a, b v1.NodeStatus) bool {
	return !apiequality.Semantic.DeepEqual(withoutHeartbeats(a), withoutHeartbeats(b))
}

func withoutHeartbeats(s v1.NodeStatus) v1.NodeStatus {
	s.Conditions = append([]v1.NodeCondition(nil), s.Conditions...)
	for i := range s.Conditions {
		s.Conditions[i].LastHeartbeatTime = metav1.Time{}
	}
	return s
}

// RuntimeVersion formats a CRI Version answer as upstream's
// containerRuntimeVersion ("containerd://1.6.20").
func RuntimeVersion(v *runtimeapi.VersionResponse) string {
	if v == nil {
		return ""
	}
	return v.GetRuntimeName() + "://" + v.GetRuntimeVersion()
}
