package apiserver

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// groupOrder is the order groups appear in discovery, as upstream lists them.
func groupOrder() []string {
	return []string{
		"", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
		"certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
		"scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io",
	}
}

// groupVersions returns the served group versions in discovery order.
func (s *Server) groupVersions() []schema.GroupVersion {
	var out []schema.GroupVersion
	for _, r := range s.resources {
		gv := r.GVK.GroupVersion()
		if !slices.Contains(out, gv) {
			out = append(out, gv)
		}
	}
	order := groupOrder()
	rank := func(g string) int {
		if i := slices.Index(order, g); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(out, func(a, b schema.GroupVersion) int { return rank(a.Group) - rank(b.Group) })
	return out
}

// subresourceInfo says what kind and verbs a subresource has.
func (r *Resource) subresourceInfo(sub string) (schema.GroupVersionKind, []string) {
	switch sub {
	case "scale":
		return schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}, []string{"get", "patch", "update"}
	case "binding":
		return schema.GroupVersionKind{Version: "v1", Kind: "Binding"}, []string{"create"}
	case "eviction":
		return schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}, []string{"create"}
	case "token":
		return schema.GroupVersionKind{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}, []string{"create"}
	case "finalize":
		return r.GVK, []string{"update"}
	case "log":
		return r.GVK, []string{"get"}
	case "proxy":
		return corev1.SchemeGroupVersion.WithKind("NodeProxyOptions"), []string{"create", "delete", "get", "patch", "update"}
	case "exec":
		return corev1.SchemeGroupVersion.WithKind("PodExecOptions"), []string{"create", "get"}
	case "attach":
		return corev1.SchemeGroupVersion.WithKind("PodAttachOptions"), []string{"create", "get"}
	case "portforward":
		return corev1.SchemeGroupVersion.WithKind("PodPortForwardOptions"), []string{"create", "get"}
	}
	return r.GVK, []string{"get", "patch", "update"}
}

func (s *Server) apiResourceList(gv schema.GroupVersion) *metav1.APIResourceList {
	list := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	for _, r := range s.resources {
		if r.GVK.GroupVersion() != gv {
			continue
		}
		list.APIResources = append(list.APIResources, metav1.APIResource{
			Name: r.Plural, SingularName: r.Singular, Namespaced: r.Namespaced, Kind: r.GVK.Kind,
			Verbs: r.Verbs(), ShortNames: r.ShortNames, Categories: r.Categories,
		})
		for _, sub := range r.Subresources {
			gvk, verbs := r.subresourceInfo(sub)
			ar := metav1.APIResource{Name: r.Plural + "/" + sub, Namespaced: r.Namespaced, Kind: gvk.Kind, Verbs: verbs}
			if gvk.GroupVersion() != gv {
				ar.Group, ar.Version = gvk.Group, gvk.Version
			}
			list.APIResources = append(list.APIResources, ar)
		}
	}
	return list
}

func apiGroup(name string, versions []schema.GroupVersion) metav1.APIGroup {
	g := metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: name}
	for _, gv := range versions {
		if gv.Group == name {
			g.Versions = append(g.Versions, metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version})
		}
	}
	if len(g.Versions) > 0 {
		g.PreferredVersion = g.Versions[0]
	}
	return g
}

// wantsAggregated reports whether the client accepts the aggregated
// discovery document (apidiscovery.k8s.io/v2) before anything else.
func wantsAggregated(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if params["as"] == "APIGroupDiscoveryList" && params["g"] == "apidiscovery.k8s.io" && params["v"] == "v2" && mt == mediaJSON {
			return true
		}
		if params["as"] == "" {
			return false
		}
	}
	return false
}

func (s *Server) aggregatedDiscovery(legacy bool) *apidiscoveryv2.APIGroupDiscoveryList {
	list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"}}
	for _, gv := range s.groupVersions() {
		if (gv.Group == "") != legacy {
			continue
		}
		var vd apidiscoveryv2.APIVersionDiscovery
		vd.Version, vd.Freshness = gv.Version, apidiscoveryv2.DiscoveryFreshnessCurrent
		for _, r := range s.resources {
			if r.GVK.GroupVersion() != gv {
				continue
			}
			scope := apidiscoveryv2.ScopeCluster
			if r.Namespaced {
				scope = apidiscoveryv2.ScopeNamespace
			}
			rd := apidiscoveryv2.APIResourceDiscovery{
				Resource: r.Plural, SingularResource: r.Singular, Scope: scope, Verbs: r.Verbs(),
				ShortNames: r.ShortNames, Categories: r.Categories,
				ResponseKind: &metav1.GroupVersionKind{Group: r.GVK.Group, Version: r.GVK.Version, Kind: r.GVK.Kind},
			}
			for _, sub := range r.Subresources {
				gvk, verbs := r.subresourceInfo(sub)
				rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{
					Subresource: sub, Verbs: verbs,
					ResponseKind: &metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
				})
			}
			vd.Resources = append(vd.Resources, rd)
		}
		if n := len(list.Items); n > 0 && list.Items[n-1].Name == gv.Group {
			list.Items[n-1].Versions = append(list.Items[n-1].Versions, vd)
			continue
		}
		g := apidiscoveryv2.APIGroupDiscovery{Versions: []apidiscoveryv2.APIVersionDiscovery{vd}}
		g.Name = gv.Group
		list.Items = append(list.Items, g)
	}
	return list
}

// serveDiscovery answers /api, /api/v1, /apis, /apis/g and /apis/g/v. It
// reports false for paths that are not discovery documents.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	parts := splitPath(r.URL.Path)
	var obj runtime.Object
	aggregated := wantsAggregated(r.Header.Get("Accept"))
	gvs := s.groupVersions()
	switch {
	case len(parts) == 1 && aggregated:
		obj = s.aggregatedDiscovery(parts[0] == "api")
	case len(parts) == 1 && parts[0] == "api":
		obj = &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: s.serverAddress(r)}},
		}
	case len(parts) == 1 && parts[0] == "apis":
		list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for _, gv := range gvs {
			if gv.Group != "" && (len(list.Groups) == 0 || list.Groups[len(list.Groups)-1].Name != gv.Group) {
				list.Groups = append(list.Groups, apiGroup(gv.Group, gvs))
			}
		}
		obj = list
	case len(parts) == 2 && parts[0] == "api" && parts[1] == "v1":
		obj = s.apiResourceList(schema.GroupVersion{Version: "v1"})
	case len(parts) == 2 && parts[0] == "apis":
		g := apiGroup(parts[1], gvs)
		if len(g.Versions) == 0 {
			return false
		}
		obj = &g
	case len(parts) == 3 && parts[0] == "apis":
		gv := schema.GroupVersion{Group: parts[1], Version: parts[2]}
		if !slices.Contains(gvs, gv) {
			return false
		}
		obj = s.apiResourceList(gv)
	default:
		return false
	}
	acc, _ := negotiate(s.codecs, mediaJSON, r.URL.Query().Get("pretty") == "true")
	if aggregated {
		acc.info.MediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	}
	s.writeRaw(w, acc, http.StatusOK, obj)
	return true
}

// serverAddress is the host:port clients reached us on.
func (s *Server) serverAddress(r *http.Request) string {
	if host, port, err := net.SplitHostPort(r.Host); err == nil {
		return net.JoinHostPort(host, port)
	}
	return net.JoinHostPort(r.Host, strconv.Itoa(s.cfg.Port))
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", mediaJSON)
	fmt.Fprintf(w, "%s\n", mustJSON(s.cfg.Version))
}
