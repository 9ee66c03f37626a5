package noderestriction

import (
	"slices"
	"strings"
)

// labelNamespace is the prefix of a label key before "/", or "".
func labelNamespace(key string) string {
	if ns, _, ok := strings.Cut(key, "/"); ok {
		return ns
	}
	return ""
}

// inDomain reports ns equal to domain or a subdomain of it.
func inDomain(ns, domain string) bool {
	return ns == domain || strings.HasSuffix(ns, "."+domain)
}

// kubeletLabel reports a kubernetes.io label a kubelet may set on its own
// Node: the well-known labels it sets at registration and anything under
// kubelet.kubernetes.io or node.kubernetes.io, as upstream's list.
func kubeletLabel(key string) bool {
	switch key {
	case "kubernetes.io/hostname",
		"kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
		"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type",
		"topology.kubernetes.io/zone", "topology.kubernetes.io/region",
		"failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region":
		return true
	}
	ns := labelNamespace(key)
	return inDomain(ns, "kubelet.kubernetes.io") || inDomain(ns, "node.kubernetes.io")
}

// forbiddenLabel reports a label key a node may not add, change or remove
// on itself: the node-restriction.kubernetes.io namespace, and any other
// kubernetes.io or k8s.io label not on the kubelet's list.
func forbiddenLabel(key string) bool {
	ns := labelNamespace(key)
	if inDomain(ns, "node-restriction.kubernetes.io") {
		return true
	}
	return (inDomain(ns, "kubernetes.io") || inDomain(ns, "k8s.io")) && !kubeletLabel(key)
}

// forbiddenChanges lists, sorted, the keys that differ between labels and
// old (added, removed or changed) that a node may not touch.
func forbiddenChanges(labels, old map[string]string) []string {
	var out []string
	check := func(k string) {
		if forbiddenLabel(k) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for k, v := range labels {
		if ov, ok := old[k]; !ok || ov != v {
			check(k)
		}
	}
	for k := range old {
		if _, ok := labels[k]; !ok {
			check(k)
		}
	}
	slices.Sort(out)
	return out
}
