package apiserver

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource describes one served REST resource and how it is stored.
type Resource struct {
	GVK        schema.GroupVersionKind
	Plural     string
	Singular   string
	Namespaced bool
	ShortNames []string
	Categories []string
	// Subresources beyond the main resource: "status", "scale", "binding",
	// "eviction", "finalize".
	Subresources []string
	// NoDeleteCollection drops the deletecollection verb (namespaces).
	NoDeleteCollection bool
	// KeepStatusOnCreate keeps a client-provided status on create (nodes);
	// other kinds with a status subresource start with an empty one.
	KeepStatusOnCreate bool

	// hasSpec is derived: the Go type has a Spec field (generation is kept).
	hasSpec bool
	// storage and conv are set for resources served over another
	// version's storage (events.k8s.io/v1 over core/v1 events).
	storage *Resource
	conv    *converter
}

// GVR returns the resource's group, version and plural.
func (r *Resource) GVR() schema.GroupVersionResource {
	return r.GVK.GroupVersion().WithResource(r.Plural)
}

// GroupResource is the resource's group and plural, as error messages name it.
func (r *Resource) GroupResource() schema.GroupResource { return r.GVR().GroupResource() }

// Has reports whether the resource serves subresource sub.
func (r *Resource) Has(sub string) bool {
	for _, s := range r.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

// Verbs returns the main resource's verbs in discovery order.
func (r *Resource) Verbs() []string {
	if r.createOnly() {
		return []string{"create"}
	}
	v := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	if r.NoDeleteCollection {
		v = append(v[:2], v[3:]...)
	}
	return v
}

// storagePrefix is the key prefix of the resource's objects (ending in "/").
// Core resources use the plural as upstream does; other groups are qualified
// so plurals of different groups never collide.
func (r *Resource) storagePrefix() string {
	if r.storage != nil {
		return r.storage.storagePrefix()
	}
	if r.GVK.Group == "" {
		return "/" + r.Plural + "/"
	}
	return "/" + r.GVK.Group + "/" + r.Plural + "/"
}

// key returns the storage key of one object.
func (r *Resource) key(namespace, name string) string {
	if r.Namespaced {
		return r.storagePrefix() + namespace + "/" + name
	}
	return r.storagePrefix() + name
}

// collectionKey returns the prefix of the objects listed in namespace ("" for all).
func (r *Resource) collectionKey(namespace string) string {
	if r.Namespaced && namespace != "" {
		return r.storagePrefix() + namespace + "/"
	}
	return r.storagePrefix()
}

type resourceSpec struct {
	group, version, kind, plural string
	namespaced                   bool
	short                        string // comma separated
	all                          bool   // in the "all" category
	subs                         string // comma separated
}

// builtinResources lists every resource the server serves, in discovery order.
func builtinResources(scheme *runtime.Scheme) []*Resource {
	const ns, cluster = true, false
	specs := []resourceSpec{
		{"", "v1", "Binding", "bindings", ns, "", false, ""},
		{"", "v1", "ConfigMap", "configmaps", ns, "cm", false, ""},
		{"", "v1", "Endpoints", "endpoints", ns, "ep", false, ""},
		{"", "v1", "Event", "events", ns, "ev", false, ""},
		{"", "v1", "LimitRange", "limitranges", ns, "limits", false, ""},
		{"", "v1", "Namespace", "namespaces", cluster, "ns", false, "status,finalize"},
		{"", "v1", "Node", "nodes", cluster, "no", false, "status,proxy"},
		{"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ns, "pvc", false, "status"},
		{"", "v1", "PersistentVolume", "persistentvolumes", cluster, "pv", false, "status"},
		{"", "v1", "Pod", "pods", ns, "po", true, "status,binding,eviction,log,exec,attach,portforward"},
		{"", "v1", "PodTemplate", "podtemplates", ns, "", false, ""},
		{"", "v1", "ReplicationController", "replicationcontrollers", ns, "rc", true, "status,scale"},
		{"", "v1", "ResourceQuota", "resourcequotas", ns, "quota", false, "status"},
		{"", "v1", "Secret", "secrets", ns, "", false, ""},
		{"", "v1", "ServiceAccount", "serviceaccounts", ns, "sa", false, "token"},
		{"", "v1", "Service", "services", ns, "svc", true, "status"},
		{"authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", cluster, "", false, ""},
		{"authentication.k8s.io", "v1", "TokenReview", "tokenreviews", cluster, "", false, ""},
		{"authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", ns, "", false, ""},
		{"authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", cluster, "", false, ""},
		{"authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", cluster, "", false, ""},
		{"authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", cluster, "", false, ""},
		{"apps", "v1", "ControllerRevision", "controllerrevisions", ns, "", false, ""},
		{"apps", "v1", "DaemonSet", "daemonsets", ns, "ds", true, "status"},
		{"apps", "v1", "Deployment", "deployments", ns, "deploy", true, "status,scale"},
		{"apps", "v1", "ReplicaSet", "replicasets", ns, "rs", true, "status,scale"},
		{"apps", "v1", "StatefulSet", "statefulsets", ns, "sts", true, "status,scale"},
		{"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ns, "hpa", true, "status"},
		{"autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ns, "hpa", true, "status"},
		{"batch", "v1", "CronJob", "cronjobs", ns, "cj", true, "status"},
		{"batch", "v1", "Job", "jobs", ns, "", true, "status"},
		{"certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", cluster, "csr", false, "status,approval"},
		{"coordination.k8s.io", "v1", "Lease", "leases", ns, "", false, ""},
		{"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", ns, "", false, ""},
		{"events.k8s.io", "v1", "Event", "events", ns, "ev", false, ""},
		{"networking.k8s.io", "v1", "IngressClass", "ingressclasses", cluster, "", false, ""},
		{"networking.k8s.io", "v1", "Ingress", "ingresses", ns, "ing", false, "status"},
		{"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", ns, "netpol", false, ""},
		{"node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", cluster, "", false, ""},
		{"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ns, "pdb", false, "status"},
		{"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", cluster, "", false, ""},
		{"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", cluster, "", false, ""},
		{"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", ns, "", false, ""},
		{"rbac.authorization.k8s.io", "v1", "Role", "roles", ns, "", false, ""},
		{"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", cluster, "pc", false, ""},
		{"storage.k8s.io", "v1", "CSIDriver", "csidrivers", cluster, "", false, ""},
		{"storage.k8s.io", "v1", "CSINode", "csinodes", cluster, "", false, ""},
		{"storage.k8s.io", "v1", "StorageClass", "storageclasses", cluster, "sc", false, ""},
		{"storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", cluster, "", false, "status"},
	}
	out := make([]*Resource, 0, len(specs))
	for _, s := range specs {
		r := &Resource{
			GVK:        schema.GroupVersionKind{Group: s.group, Version: s.version, Kind: s.kind},
			Plural:     s.plural,
			Singular:   strings.ToLower(s.kind),
			Namespaced: s.namespaced,
		}
		if s.short != "" {
			r.ShortNames = strings.Split(s.short, ",")
		}
		if s.all {
			r.Categories = []string{"all"}
		}
		if s.subs != "" {
			r.Subresources = strings.Split(s.subs, ",")
		}
		r.NoDeleteCollection = s.kind == "Namespace"
		r.KeepStatusOnCreate = s.kind == "Node"
		if t, ok := scheme.AllKnownTypes()[r.GVK]; ok {
			_, r.hasSpec = t.FieldByName("Spec")
		}
		out = append(out, r)
	}
	for _, r := range out {
		gvr, conv := converterFor(r.GVK)
		if conv == nil {
			continue
		}
		for _, s := range out {
			if s.GVR() == gvr {
				r.storage, r.conv = s, conv
			}
		}
	}
	return out
}

// createOnly reports resources that exist only to be POSTed (bindings and
// the reviews).
func (r *Resource) createOnly() bool { return r.Plural == "bindings" || r.isReview() }
