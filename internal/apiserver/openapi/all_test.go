package openapi

import (
	"sort"
	"strings"
	"testing"
)

// allListedResources returns a Resource for every kind of the served groups
// that has a List kind, the way the server serves most of them.
func allListedResources(t testing.TB) []Resource {
	t.Helper()
	s, err := newTypeScheme()
	if err != nil {
		t.Fatal(err)
	}
	var out []Resource
	for gvk := range s.AllKnownTypes() {
		if gvk.Group == "apidiscovery.k8s.io" || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		if !s.Recognizes(gvk.GroupVersion().WithKind(gvk.Kind + "List")) {
			continue
		}
		out = append(out, Resource{GroupVersionKind: gvk, Resource: strings.ToLower(gvk.Kind) + "s", Namespaced: true, Verbs: allVerbs(),
			Subresources: []Subresource{{Name: "status", GroupVersionKind: gvk, Verbs: []string{"get", "patch", "update"}}}})
	}
	sort.Slice(out, func(i, j int) bool { return gvkLess(out[i].GroupVersionKind, out[j].GroupVersionKind) })
	return out
}

// TestNewAllBuiltinKinds builds the documents for every listable built-in
// kind: every kind must have a generated definition, and every served
// group version a v3 document.
func TestNewAllBuiltinKinds(t *testing.T) {
	resources := allListedResources(t)
	if len(resources) < 50 {
		t.Fatalf("only %d listable kinds found", len(resources))
	}
	d, err := New(resources, "v1.33.0")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	gvs := map[string]bool{}
	for _, r := range resources {
		gvs[groupVersionPath(r.GroupVersionKind.GroupVersion())[1:]] = true
	}
	if len(d.v3) != len(gvs) {
		t.Errorf("%d v3 documents for %d group versions", len(d.v3), len(gvs))
	}
	doc := v2Doc(t, d)
	for _, r := range resources {
		name := modelName(mustSample(t, r))
		if _, ok := doc.Definitions[name]; !ok {
			t.Errorf("v2 lacks definition %s for %s", name, r.GroupVersionKind)
		}
	}
	t.Logf("%d resources, %d v2 definitions, v2 JSON %d bytes, v3 apps/v1 %d bytes, %d v3 documents",
		len(resources), len(doc.Definitions), len(d.v2.json.data), len(d.v3["apis/apps/v1"].json.data), len(d.v3))
}

func mustSample(t testing.TB, r Resource) interface{} {
	t.Helper()
	s, err := newTypeScheme()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sampleFor(s, r.GroupVersionKind)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func BenchmarkNew(b *testing.B) {
	resources := allListedResources(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(resources, "v1.33.0"); err != nil {
			b.Fatal(err)
		}
	}
}
