package cache

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// podState is one pod the cache counts.
type podState struct {
	info    *framework.PodInfo
	node    string
	assumed bool
}

// Cache holds nodes and their pods. All methods are safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	nodes map[string]*framework.NodeInfo
	pods  map[types.UID]*podState
	gen   int64
	// images counts, per normalized image name, the nodes holding it.
	images map[string]int

	// Incremental snapshot state: names changed since the last Snapshot.
	dirty         map[string]struct{}
	nodeSetDirty  bool
	imagesDirty   bool
	snap          *framework.Snapshot
	snapPositions map[string]int
}

// New returns an empty cache.
func New() *Cache {
	return &Cache{
		nodes:  map[string]*framework.NodeInfo{},
		pods:   map[types.UID]*podState{},
		images: map[string]int{},
		dirty:  map[string]struct{}{},
		snap: &framework.Snapshot{
			ByName:     map[string]*framework.NodeInfo{},
			ImageNodes: map[string]int{},
		},
		snapPositions: map[string]int{},
	}
}

// touch marks a node changed; callers hold mu.
func (c *Cache) touch(name string) {
	c.gen++
	if n := c.nodes[name]; n != nil {
		n.Generation = c.gen
	}
	c.dirty[name] = struct{}{}
}

// nodeInfo returns the NodeInfo for name, creating a node-less one.
func (c *Cache) nodeInfo(name string) *framework.NodeInfo {
	n, ok := c.nodes[name]
	if !ok {
		n = framework.NewNodeInfo(nil)
		c.nodes[name] = n
	}
	return n
}

// SetNode adds or updates a node.
func (c *Cache) SetNode(node *v1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeInfo(node.Name)
	if n.Node == nil {
		c.nodeSetDirty = true
	}
	c.countImages(n.ImageSizes, -1)
	n.SetNode(node)
	c.countImages(n.ImageSizes, 1)
	c.touch(node.Name)
}

// countImages adds sign to the holder count of each image.
func (c *Cache) countImages(images map[string]int64, sign int) {
	for img := range images {
		c.images[img] += sign
		if c.images[img] <= 0 {
			delete(c.images, img)
		}
		c.imagesDirty = true
	}
}

// RemoveNode forgets a node and every pod the cache counted on it.
func (c *Cache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[name]
	if !ok {
		return
	}
	for _, pi := range n.Pods {
		delete(c.pods, pi.Pod.UID)
	}
	c.countImages(n.ImageSizes, -1)
	delete(c.nodes, name)
	c.nodeSetDirty = true
	c.touch(name)
}

// AssumePod counts pod (whose spec.nodeName is the chosen node) before it
// is bound. It fails if the cache already knows the pod.
func (c *Cache) AssumePod(pod *v1.Pod) error {
	if pod.Spec.NodeName == "" {
		return fmt.Errorf("assume pod %s/%s: no node name", pod.Namespace, pod.Name)
	}
	return c.AssumePodInfo(framework.NewPodInfo(pod))
}

// AssumePodInfo is AssumePod for a pod whose PodInfo the caller already
// has (pi.Pod is the pod, with its spec.nodeName set); pi is kept, read-only.
func (c *Cache) AssumePodInfo(pi *framework.PodInfo) error {
	pod := pi.Pod
	if pod.Spec.NodeName == "" {
		return fmt.Errorf("assume pod %s/%s: no node name", pod.Namespace, pod.Name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.UID]; ok {
		return fmt.Errorf("assume pod %s/%s: already in the cache", pod.Namespace, pod.Name)
	}
	c.addLocked(pi, true)
	return nil
}

// ForgetPod uncounts an assumed pod (its bind failed). Confirmed pods stay.
func (c *Cache) ForgetPod(pod *v1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pod.UID]; ok && ps.assumed {
		c.removeLocked(pod.UID)
	}
}

// IsAssumed reports whether pod is assumed and not yet confirmed.
func (c *Cache) IsAssumed(pod *v1.Pod) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.pods[pod.UID]
	return ok && ps.assumed
}

// AddPod counts a pod the informer reports on a node; it confirms the
// assumed copy if there is one (moving it if the node differs).
func (c *Cache) AddPod(pod *v1.Pod) {
	if pod.Spec.NodeName == "" {
		return
	}
	pi := framework.NewPodInfo(pod)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.UID]; ok {
		c.removeLocked(pod.UID)
	}
	c.addLocked(pi, false)
}

// UpdatePod replaces the counted copy of a pod.
func (c *Cache) UpdatePod(pod *v1.Pod) { c.AddPod(pod) }

// RemovePod uncounts a pod (deleted, or terminal).
func (c *Cache) RemovePod(pod *v1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(pod.UID)
}

func (c *Cache) addLocked(pi *framework.PodInfo, assumed bool) {
	name := pi.Pod.Spec.NodeName
	c.nodeInfo(name).AddPod(pi)
	c.pods[pi.Pod.UID] = &podState{info: pi, node: name, assumed: assumed}
	c.touch(name)
}

func (c *Cache) removeLocked(uid types.UID) {
	ps, ok := c.pods[uid]
	if !ok {
		return
	}
	delete(c.pods, uid)
	if n, ok := c.nodes[ps.node]; ok {
		n.RemovePod(string(uid))
		if n.Node == nil && len(n.Pods) == 0 {
			delete(c.nodes, ps.node)
		}
		c.touch(ps.node)
	}
}

// Counts returns the number of nodes (with a node object) and pods known.
func (c *Cache) Counts() (nodes, pods int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.Node != nil {
			nodes++
		}
	}
	return nodes, len(c.pods)
}

// NodeInfo returns a copy of the named node's info, or nil.
func (c *Cache) NodeInfo(name string) *framework.NodeInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.nodes[name]; ok {
		return n.Clone()
	}
	return nil
}

// Snapshot brings the cache's snapshot up to date, copying only the nodes
// changed since the last call, and returns it. The snapshot belongs to the
// one caller that schedules: it stays valid and unchanged until the next
// call to Snapshot, and must not be modified.
func (c *Cache) Snapshot() *framework.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	for name := range c.dirty {
		n, ok := c.nodes[name]
		if !ok || n.Node == nil {
			if _, had := s.ByName[name]; had {
				delete(s.ByName, name)
				c.nodeSetDirty = true
			}
			continue
		}
		clone := n.Clone()
		s.ByName[name] = clone
		if pos, ok := c.snapPositions[name]; ok && !c.nodeSetDirty {
			s.Nodes[pos] = clone
		}
	}
	clear(c.dirty)
	if c.nodeSetDirty {
		c.rebuildNodeList()
	}
	if c.imagesDirty {
		s.ImageNodes = make(map[string]int, len(c.images))
		for k, v := range c.images {
			s.ImageNodes[k] = v
		}
		c.imagesDirty = false
	}
	return s
}

// rebuildNodeList re-sorts the snapshot's node list after nodes came or went.
func (c *Cache) rebuildNodeList() {
	s := c.snap
	s.Nodes = s.Nodes[:0]
	for _, n := range s.ByName {
		s.Nodes = append(s.Nodes, n)
	}
	slices.SortFunc(s.Nodes, func(a, b *framework.NodeInfo) int { return strings.Compare(a.Name(), b.Name()) })
	clear(c.snapPositions)
	for i, n := range s.Nodes {
		c.snapPositions[n.Name()] = i
	}
	c.nodeSetDirty = false
}
