package framework

import (
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// PodInfo is a pod with the values every cycle needs, computed once.
// Pod must not be modified; PodInfos are shared between snapshots.
type PodInfo struct {
	Pod *v1.Pod
	// Requests are the effective requests (PodRequests(pod, false)).
	Requests Resource
	// NonZero are the requests with cpu/memory defaults, for scoring.
	NonZero Resource
	// HostPorts are the host ports the pod binds.
	HostPorts []v1.ContainerPort
	// Affinity is the pod's parsed inter-pod affinity.
	Affinity AffinityInfo
}

// NewPodInfo computes the derived values of pod.
func NewPodInfo(pod *v1.Pod) *PodInfo {
	return &PodInfo{
		Pod:       pod,
		Requests:  PodRequests(pod, false),
		NonZero:   PodRequests(pod, true),
		HostPorts: HostPorts(pod),
		Affinity:  newAffinityInfo(pod),
	}
}

// WithPod returns a copy of pi for pod, a copy of pi.Pod that differs at
// most in spec.nodeName (which PodInfo does not depend on): the derived
// values are shared, not computed again.
func (pi *PodInfo) WithPod(pod *v1.Pod) *PodInfo {
	c := *pi
	c.Pod = pod
	return &c
}

// PodPriority is spec.priority, 0 when unset (as upstream corev1helpers).
func PodPriority(pod *v1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// HostPorts lists the container ports with a host port, of app containers
// and sidecar init containers.
func HostPorts(pod *v1.Pod) []v1.ContainerPort {
	var out []v1.ContainerPort
	add := func(cs []v1.Container, sidecarsOnly bool) {
		for i := range cs {
			c := &cs[i]
			if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != v1.ContainerRestartPolicyAlways) {
				continue
			}
			for _, p := range c.Ports {
				if p.HostPort > 0 {
					out = append(out, p)
				}
			}
		}
	}
	add(pod.Spec.InitContainers, true)
	add(pod.Spec.Containers, false)
	return out
}

// ProtocolPort is a protocol and port pair.
type ProtocolPort struct {
	Protocol string
	Port     int32
}

// HostPortInfo maps a host IP to the protocol/ports in use on it.
type HostPortInfo map[string]map[ProtocolPort]struct{}

const bindAllHostIP = "0.0.0.0"

func sanitizePort(ip, protocol string) (string, string) {
	if ip == "" {
		ip = bindAllHostIP
	}
	if protocol == "" {
		protocol = string(v1.ProtocolTCP)
	}
	return ip, protocol
}

// Add records a used port.
func (h HostPortInfo) Add(ip, protocol string, port int32) {
	if port <= 0 {
		return
	}
	ip, protocol = sanitizePort(ip, protocol)
	m, ok := h[ip]
	if !ok {
		m = map[ProtocolPort]struct{}{}
		h[ip] = m
	}
	m[ProtocolPort{protocol, port}] = struct{}{}
}

// Remove forgets a used port.
func (h HostPortInfo) Remove(ip, protocol string, port int32) {
	if port <= 0 {
		return
	}
	ip, protocol = sanitizePort(ip, protocol)
	if m, ok := h[ip]; ok {
		delete(m, ProtocolPort{protocol, port})
		if len(m) == 0 {
			delete(h, ip)
		}
	}
}

// CheckConflict reports whether binding ip/protocol/port would clash:
// 0.0.0.0 clashes with the same protocol/port on any IP, and any IP clashes
// with itself and with 0.0.0.0.
func (h HostPortInfo) CheckConflict(ip, protocol string, port int32) bool {
	if port <= 0 {
		return false
	}
	ip, protocol = sanitizePort(ip, protocol)
	pp := ProtocolPort{protocol, port}
	if ip == bindAllHostIP {
		for _, m := range h {
			if _, ok := m[pp]; ok {
				return true
			}
		}
		return false
	}
	for _, key := range [2]string{bindAllHostIP, ip} {
		if _, ok := h[key][pp]; ok {
			return true
		}
	}
	return false
}

// NodeInfo is the scheduler's view of one node: the node object and the
// pods assigned or assumed to it, with their sums. A NodeInfo in a Snapshot
// is read-only.
type NodeInfo struct {
	Node        *v1.Node
	Pods        []*PodInfo
	Allocatable Resource
	// Requested sums the pods' Requests; NonZeroRequested their NonZero.
	Requested        Resource
	NonZeroRequested Resource
	// UsedPorts are the host ports in use; nil or empty when none.
	UsedPorts HostPortInfo
	// PodsWithAffinity are the pods with any inter-pod affinity term;
	// PodsWithRequiredAntiAffinity those with a required anti-affinity
	// term. Both are subsets of Pods.
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	// ImageSizes maps each normalized image name on the node to its size.
	ImageSizes map[string]int64
	// Generation increases on every change (set by the cache).
	Generation int64
	// rev counts the changes made through SetNode, AddPod and RemovePod
	// (NodeMemo tells a NodeInfo changed in place from its earlier self).
	rev uint64
}

// NewNodeInfo returns an empty NodeInfo for node (which may be nil while
// only pods are known).
func NewNodeInfo(node *v1.Node) *NodeInfo {
	n := &NodeInfo{UsedPorts: HostPortInfo{}}
	if node != nil {
		n.SetNode(node)
	}
	return n
}

// Name is the node's name, or "" while the node object is unknown.
func (n *NodeInfo) Name() string {
	if n.Node == nil {
		return ""
	}
	return n.Node.Name
}

// SetNode sets or replaces the node object.
func (n *NodeInfo) SetNode(node *v1.Node) {
	n.rev++
	n.Node = node
	n.Allocatable = NewResource(node.Status.Allocatable)
	n.ImageSizes = make(map[string]int64, len(node.Status.Images))
	for _, img := range node.Status.Images {
		for _, name := range img.Names {
			n.ImageSizes[NormalizeImageName(name)] = img.SizeBytes
		}
	}
}

// AddPod counts pi on the node.
func (n *NodeInfo) AddPod(pi *PodInfo) {
	n.rev++
	n.Pods = append(n.Pods, pi)
	n.Requested.plus(&pi.Requests, 1)
	n.NonZeroRequested.plus(&pi.NonZero, 1)
	if len(pi.HostPorts) > 0 && n.UsedPorts == nil {
		n.UsedPorts = HostPortInfo{}
	}
	for _, p := range pi.HostPorts {
		n.UsedPorts.Add(p.HostIP, string(p.Protocol), p.HostPort)
	}
	if pi.Affinity.HasAffinity() {
		n.PodsWithAffinity = append(n.PodsWithAffinity, pi)
	}
	if len(pi.Affinity.RequiredAntiAffinity) > 0 {
		n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, pi)
	}
}

// removeFrom drops the PodInfo with uid from list, keeping the order.
func removeFrom(list []*PodInfo, uid string) []*PodInfo {
	return slices.DeleteFunc(list, func(pi *PodInfo) bool { return string(pi.Pod.UID) == uid })
}

// RemovePod uncounts the pod with uid; it reports whether it was there.
func (n *NodeInfo) RemovePod(uid string) bool {
	for i, pi := range n.Pods {
		if string(pi.Pod.UID) != uid {
			continue
		}
		n.rev++
		last := len(n.Pods) - 1
		n.Pods[i] = n.Pods[last]
		n.Pods[last] = nil
		n.Pods = n.Pods[:last]
		n.Requested.plus(&pi.Requests, -1)
		n.NonZeroRequested.plus(&pi.NonZero, -1)
		for _, p := range pi.HostPorts {
			n.UsedPorts.Remove(p.HostIP, string(p.Protocol), p.HostPort)
		}
		if pi.Affinity.HasAffinity() {
			n.PodsWithAffinity = removeFrom(n.PodsWithAffinity, uid)
		}
		if len(pi.Affinity.RequiredAntiAffinity) > 0 {
			n.PodsWithRequiredAntiAffinity = removeFrom(n.PodsWithRequiredAntiAffinity, uid)
		}
		return true
	}
	return false
}

// Clone returns a copy that shares the node, the PodInfos and the image map
// (all read-only) but not the slices and sums. UsedPorts of the copy is
// nil when no port is used (AddPod makes it when needed).
func (n *NodeInfo) Clone() *NodeInfo {
	c := &NodeInfo{
		Node:                         n.Node,
		Pods:                         append([]*PodInfo(nil), n.Pods...),
		PodsWithAffinity:             slices.Clone(n.PodsWithAffinity),
		PodsWithRequiredAntiAffinity: slices.Clone(n.PodsWithRequiredAntiAffinity),
		Allocatable:                  n.Allocatable.Clone(),
		Requested:                    n.Requested.Clone(),
		NonZeroRequested:             n.NonZeroRequested.Clone(),

		ImageSizes: n.ImageSizes,
		Generation: n.Generation,
	}
	if len(n.UsedPorts) > 0 {
		c.UsedPorts = make(HostPortInfo, len(n.UsedPorts))
	}
	for ip, m := range n.UsedPorts {
		cm := make(map[ProtocolPort]struct{}, len(m))
		for k := range m {
			cm[k] = struct{}{}
		}
		c.UsedPorts[ip] = cm
	}
	return c
}

// NormalizeImageName appends ":latest" to an image name without tag or
// digest, as upstream ImageLocality does.
func NormalizeImageName(name string) string {
	if untagged(name) {
		return name + ":latest"
	}
	return name
}

// AppendNormalizedImageName appends NormalizeImageName(name) to dst, so
// that a lookup by m[string(buf)] needs no allocation.
func AppendNormalizedImageName(dst []byte, name string) []byte {
	dst = append(dst, name...)
	if untagged(name) {
		dst = append(dst, ":latest"...)
	}
	return dst
}

// untagged reports whether name has neither tag nor digest.
func untagged(name string) bool {
	return strings.LastIndex(name, ":") <= strings.LastIndex(name, "/") && !strings.Contains(name, "@")
}

// Snapshot is the read-only state one scheduling cycle works on.
type Snapshot struct {
	// Nodes lists the nodes in a stable order (by name).
	Nodes []*NodeInfo
	// ByName indexes Nodes.
	ByName map[string]*NodeInfo
	// ImageNodes counts, per normalized image name, the nodes holding it.
	ImageNodes map[string]int
}

// NewSnapshot builds a snapshot from NodeInfos (taken as they are: the
// caller hands over ownership) sorted by name; nodes without a node object
// are left out.
func NewSnapshot(infos []*NodeInfo) *Snapshot {
	s := &Snapshot{ByName: make(map[string]*NodeInfo, len(infos)), ImageNodes: map[string]int{}}
	for _, n := range infos {
		if n.Node == nil {
			continue
		}
		s.Nodes = append(s.Nodes, n)
		s.ByName[n.Name()] = n
		for img := range n.ImageSizes {
			s.ImageNodes[img]++
		}
	}
	sortNodes(s.Nodes)
	return s
}

func sortNodes(nodes []*NodeInfo) {
	slices.SortFunc(nodes, func(a, b *NodeInfo) int { return strings.Compare(a.Name(), b.Name()) })
}
