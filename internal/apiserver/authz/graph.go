package authz

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ref names an object a pod uses. Kind is the resource ("secrets",
// "configmaps", "persistentvolumeclaims", "serviceaccounts").
type ref struct{ resource, namespace, name string }

// podEntry is what the graph keeps of one pod.
type podEntry struct {
	node string
	refs []ref
}

// podGraph relates nodes to the pods bound to them and the objects those
// pods reference, and claims to their volumes: a simplified form of
// upstream's node authorizer graph, fed by pod and claim watches.
type podGraph struct {
	mu     sync.RWMutex
	pods   map[string]podEntry    // namespace/name → entry
	byNode map[string]map[ref]int // node → referenced object → pod count
	claims map[string]string      // namespace/name of a PVC → bound PV name
}

func newPodGraph() *podGraph {
	return &podGraph{pods: map[string]podEntry{}, byNode: map[string]map[ref]int{}, claims: map[string]string{}}
}

// podRefs lists the objects pod references that a kubelet must read.
func podRefs(pod *corev1.Pod) []ref {
	ns := pod.Namespace
	var out []ref
	add := func(resource, name string) {
		if name != "" {
			out = append(out, ref{resource, ns, name})
		}
	}
	add("serviceaccounts", pod.Spec.ServiceAccountName)
	for _, s := range pod.Spec.ImagePullSecrets {
		add("secrets", s.Name)
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.Secret != nil:
			add("secrets", v.Secret.SecretName)
		case v.ConfigMap != nil:
			add("configmaps", v.ConfigMap.Name)
		case v.PersistentVolumeClaim != nil:
			add("persistentvolumeclaims", v.PersistentVolumeClaim.ClaimName)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					add("secrets", src.Secret.Name)
				}
				if src.ConfigMap != nil {
					add("configmaps", src.ConfigMap.Name)
				}
			}
		}
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.EnvFrom {
				if e.SecretRef != nil {
					add("secrets", e.SecretRef.Name)
				}
				if e.ConfigMapRef != nil {
					add("configmaps", e.ConfigMapRef.Name)
				}
			}
			for _, e := range c.Env {
				if vf := e.ValueFrom; vf != nil && vf.SecretKeyRef != nil {
					add("secrets", vf.SecretKeyRef.Name)
				}
				if vf := e.ValueFrom; vf != nil && vf.ConfigMapKeyRef != nil {
					add("configmaps", vf.ConfigMapKeyRef.Name)
				}
			}
		}
	}
	return out
}

// set records a pod or a claim.
func (g *podGraph) set(obj runtime.Object) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch o := obj.(type) {
	case *corev1.Pod:
		g.removeLocked(o.Namespace + "/" + o.Name)
		if o.Spec.NodeName == "" {
			return
		}
		e := podEntry{node: o.Spec.NodeName, refs: podRefs(o)}
		g.pods[o.Namespace+"/"+o.Name] = e
		m := g.byNode[e.node]
		if m == nil {
			m = map[ref]int{}
			g.byNode[e.node] = m
		}
		for _, r := range e.refs {
			m[r]++
		}
	case *corev1.PersistentVolumeClaim:
		g.claims[o.Namespace+"/"+o.Name] = o.Spec.VolumeName
	}
}

// remove forgets a pod or a claim.
func (g *podGraph) remove(obj runtime.Object) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch o := obj.(type) {
	case *corev1.Pod:
		g.removeLocked(o.Namespace + "/" + o.Name)
	case *corev1.PersistentVolumeClaim:
		delete(g.claims, o.Namespace+"/"+o.Name)
	}
}

func (g *podGraph) removeLocked(key string) {
	e, ok := g.pods[key]
	if !ok {
		return
	}
	delete(g.pods, key)
	m := g.byNode[e.node]
	for _, r := range e.refs {
		if m[r]--; m[r] <= 0 {
			delete(m, r)
		}
	}
	if len(m) == 0 {
		delete(g.byNode, e.node)
	}
}

// podNode returns the node a pod is bound to, if the graph knows the pod.
func (g *podGraph) podNode(namespace, name string) (string, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	e, ok := g.pods[namespace+"/"+name]
	return e.node, ok
}

// related reports whether a pod bound to node references r. A
// persistentvolume is related through a referenced claim bound to it.
func (g *podGraph) related(node string, r ref) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	m := g.byNode[node]
	if r.resource != "persistentvolumes" {
		return m[r] > 0
	}
	for x := range m {
		if x.resource == "persistentvolumeclaims" && g.claims[x.namespace+"/"+x.name] == r.name {
			return true
		}
	}
	return false
}
