package authz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/storage"
)

const (
	nodeUserPrefix = "system:node:"
	nodesGroup     = "system:nodes"
)

// nodeName returns the node a kubelet identity speaks for.
func nodeName(u apiserver.User) (string, bool) {
	name, ok := strings.CutPrefix(u.Name, nodeUserPrefix)
	if !ok || name == "" || !slices.Contains(u.Groups, nodesGroup) {
		return "", false
	}
	return name, true
}

// nodeRules are what every node identity may do regardless of the graph,
// as upstream's NodeRules (without the parts Capstan has no use for).
func nodeRules() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "create"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch", "create"}},
		{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch", "update"}},
		{APIGroups: []string{""}, Resources: []string{"services", "endpoints"}, Verbs: read},
		{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create", "get", "list", "watch"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews", "localsubjectaccessreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
		{APIGroups: []string{"node.k8s.io"}, Resources: []string{"runtimeclasses"}, Verbs: read},
		{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"csidrivers", "csinodes", "storageclasses"}, Verbs: read},
	}
}

// Node is upstream's Node authorizer, simplified: a kubelet identity
// (system:node:<name> in system:nodes) may read pods, write its own Node,
// Lease and the pods bound to it, and read the secrets, config maps,
// claims, volumes and service accounts those pods use. It has no opinion
// on anything else, which then falls to RBAC.
type Node struct {
	graph *podGraph
	rules []rbacv1.PolicyRule
	// getPod reads one pod when the graph has not seen it yet (nil: none).
	getPod func(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// Authorize allows a node identity's request or has no opinion.
func (n *Node) Authorize(ctx context.Context, a apiserver.Attributes) (bool, string, error) {
	node, ok := nodeName(a.User)
	if !ok || !a.ResourceRequest {
		return false, "", nil
	}
	switch {
	case a.Group == "" && a.Resource == "nodes" && (a.Subresource == "status" || isWrite(a.Verb)) && a.Verb != "create":
		if a.Name == node {
			return true, "", nil
		}
		return false, fmt.Sprintf("node %q is not allowed to modify node %q", node, a.Name), nil
	case a.Group == "coordination.k8s.io" && a.Resource == "leases" && a.Verb != "create":
		if a.Namespace == corev1.NamespaceNodeLease && a.Name == node {
			return true, "", nil
		}
		return false, "can only access node lease with the same name as the requesting node", nil
	case a.Group == "" && a.Resource == "pods" && (a.Verb == "delete" || a.Subresource == "status" || a.Subresource == "eviction"):
		return n.podBound(ctx, node, a)
	case a.Group == "" && a.Subresource == "" && readsOne(a) && related(a.Resource):
		return n.relation(node, ref{a.Resource, a.Namespace, a.Name})
	case a.Group == "" && a.Resource == "serviceaccounts" && a.Subresource == "token" && a.Verb == "create":
		return n.relation(node, ref{a.Resource, a.Namespace, a.Name})
	}
	for i := range n.rules {
		if ruleAllows(&a, &n.rules[i]) {
			return true, "", nil
		}
	}
	return false, "", nil
}

func isWrite(verb string) bool {
	switch verb {
	case "update", "patch", "delete":
		return true
	}
	return false
}

// readsOne reports a get of one object, or (for secrets and config maps,
// which kubelets watch one at a time) a list or watch narrowed to one name
// by fieldSelector=metadata.name=<name>, as upstream's Node authorizer.
func readsOne(a apiserver.Attributes) bool {
	switch a.Verb {
	case "get":
		return true
	case "list", "watch":
		return a.Name != "" && (a.Resource == "secrets" || a.Resource == "configmaps")
	}
	return false
}

func related(resource string) bool {
	switch resource {
	case "secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes", "serviceaccounts":
		return true
	}
	return false
}

func (n *Node) relation(node string, r ref) (bool, string, error) {
	if n.graph.related(node, r) {
		return true, "", nil
	}
	return false, fmt.Sprintf("no relationship found between node '%s' and this object", node), nil
}

// podBound allows writes to a pod bound to node, or to a pod that no
// longer exists (the write then fails with NotFound).
func (n *Node) podBound(ctx context.Context, node string, a apiserver.Attributes) (bool, string, error) {
	bound, known := n.graph.podNode(a.Namespace, a.Name)
	if !known && n.getPod != nil {
		pod, err := n.getPod(ctx, a.Namespace, a.Name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			// The pod is gone: let the request through so the node gets
			// the 404 upstream's kubelet expects, not a 403.
			return true, "", nil
		case err != nil:
			return false, "", fmt.Errorf("node authorizer: read pod %s/%s: %w", a.Namespace, a.Name, err)
		default:
			bound = pod.Spec.NodeName
		}
	}
	if bound == node {
		return true, "", nil
	}
	return false, fmt.Sprintf("no relationship found between node '%s' and this object", node), nil
}

// Rules lists the node rules for a node identity.
func (n *Node) Rules(u apiserver.User) []rbacv1.PolicyRule {
	if _, ok := nodeName(u); !ok {
		return nil
	}
	return n.rules
}

// storePodGetter reads pods from a store for the Node authorizer.
func storePodGetter(get func(ctx context.Context, key string) (runtime.Object, error)) func(context.Context, string, string) (*corev1.Pod, error) {
	return func(ctx context.Context, ns, name string) (*corev1.Pod, error) {
		obj, err := get(ctx, "/pods/"+ns+"/"+name)
		if err != nil {
			return nil, err
		}
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return nil, fmt.Errorf("stored pod %s/%s is a %T", ns, name, obj)
		}
		return pod, nil
	}
}
