package openapi

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/capstan/capstan/internal/apis"
)

// extGVK is the vendor extension kubectl uses to find the schema of a kind
// (a list of {group, version, kind} on definitions, one object on operations).
const extGVK = "x-kubernetes-group-version-kind"

// extAction names the REST verb of an operation.
const extAction = "x-kubernetes-action"

// newTypeScheme returns a scheme that maps every kind the generated
// definitions cover to its Go type, so a kind can be turned into the model
// name of its definition.
func newTypeScheme() (*runtime.Scheme, error) {
	s, err := apis.NewScheme()
	if err != nil {
		return nil, fmt.Errorf("build openapi type scheme: %w", err)
	}
	return s, nil
}

// sampleFor returns a zero object of kind gvk, whose canonical type name is
// the model name of its definition (io.k8s.api.apps.v1.Deployment).
func sampleFor(s *runtime.Scheme, gvk schema.GroupVersionKind) (runtime.Object, error) {
	obj, err := s.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("no Go type for %s: %w", gvk, err)
	}
	return obj, nil
}

// modelName is the definition name of a sample object.
func modelName(sample interface{}) string { return util.GetCanonicalTypeName(sample) }

// gvkIndex collects, per definition name, the kinds it is served as; it
// becomes the x-kubernetes-group-version-kind extension of the definition.
type gvkIndex map[string][]schema.GroupVersionKind

func (ix gvkIndex) add(name string, gvk schema.GroupVersionKind) {
	for _, have := range ix[name] {
		if have == gvk {
			return
		}
	}
	ix[name] = append(ix[name], gvk)
}

// buildGVKIndex indexes every served kind, its List kind, subresource kinds
// and, per served group version, the meta kinds clients send to it
// (DeleteOptions, WatchEvent), plus the core Status kind.
func buildGVKIndex(s *runtime.Scheme, resources []Resource) (gvkIndex, error) {
	ix := gvkIndex{}
	addKind := func(gvk schema.GroupVersionKind) error {
		obj, err := sampleFor(s, gvk)
		if err != nil {
			return err
		}
		ix.add(modelName(obj), gvk)
		return nil
	}
	for _, r := range resources {
		gvk := r.GroupVersionKind
		if err := addKind(gvk); err != nil {
			return nil, fmt.Errorf("resource %s: %w", r.Resource, err)
		}
		if list := gvk.GroupVersion().WithKind(gvk.Kind + "List"); s.Recognizes(list) {
			if err := addKind(list); err != nil {
				return nil, fmt.Errorf("resource %s: %w", r.Resource, err)
			}
		}
		for _, sub := range r.Subresources {
			if sub.GroupVersionKind.Empty() {
				continue
			}
			if err := addKind(sub.GroupVersionKind); err != nil {
				return nil, fmt.Errorf("subresource %s/%s: %w", r.Resource, sub.Name, err)
			}
		}
		gv := gvk.GroupVersion()
		ix.add(modelName(&metav1.DeleteOptions{}), gv.WithKind("DeleteOptions"))
		ix.add(modelName(&metav1.WatchEvent{}), gv.WithKind("WatchEvent"))
	}
	ix.add(modelName(&metav1.Status{}), schema.GroupVersionKind{Version: "v1", Kind: "Status"})
	for name := range ix {
		sort.Slice(ix[name], func(i, j int) bool { return gvkLess(ix[name][i], ix[name][j]) })
	}
	return ix, nil
}

func gvkLess(a, b schema.GroupVersionKind) bool {
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	if a.Version != b.Version {
		return a.Version < b.Version
	}
	return a.Kind < b.Kind
}

// definitionNamer keeps definition names as generated (they already are
// upstream's REST-friendly model names) and attaches the GVK extension.
func (ix gvkIndex) definitionNamer(name string) (string, spec.Extensions) {
	gvks := ix[name]
	if len(gvks) == 0 {
		return name, nil
	}
	list := make([]interface{}, 0, len(gvks))
	for _, gvk := range gvks {
		list = append(list, gvkObject(gvk))
	}
	return name, spec.Extensions{extGVK: list}
}

// gvkObject is a GVK as the extension spells it.
func gvkObject(gvk schema.GroupVersionKind) map[string]interface{} {
	return map[string]interface{}{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind}
}

// groupVersionPath is the URL prefix of a group version: /api/v1 or
// /apis/apps/v1. Without the leading slash it is the key of the v3 index.
func groupVersionPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return "/apis/" + gv.Group + "/" + gv.Version
}

// operationGroup is the group version as operation IDs spell it: CoreV1,
// AppsV1, RbacAuthorizationV1, NetworkingV1.
func operationGroup(gv schema.GroupVersion) string {
	var b strings.Builder
	for _, part := range groupParts(gv.Group) {
		b.WriteString(upperFirst(part))
	}
	b.WriteString(upperFirst(gv.Version))
	return b.String()
}

// tag is the group version as operation tags spell it: core_v1, apps_v1,
// rbacAuthorization_v1.
func tag(gv schema.GroupVersion) string {
	parts := groupParts(gv.Group)
	var b strings.Builder
	b.WriteString(parts[0])
	for _, part := range parts[1:] {
		b.WriteString(upperFirst(part))
	}
	return b.String() + "_" + gv.Version
}

// groupParts splits a group into its dotted words without the k8s.io
// suffix; the core group is "core".
func groupParts(group string) []string {
	if group == "" {
		return []string{"core"}
	}
	group = strings.TrimSuffix(group, ".k8s.io")
	return strings.Split(group, ".")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
