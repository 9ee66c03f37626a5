package openapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// newTestServer serves the documents of testResources on an httptest server.
func newTestServer(t *testing.T) (*Documents, *httptest.Server) {
	t.Helper()
	d, err := New(testResources(), "v1.33.0")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return d, srv
}

// get fetches path with the given Accept header, without transparent gzip.
func get(t *testing.T, srv *httptest.Server, path, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Accept-Encoding", "identity")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func gvkExtension(t *testing.T, ext spec.Extensions) []map[string]string {
	t.Helper()
	raw, err := json.Marshal(ext[extGVK])
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s is not a list of GVKs: %s", extGVK, raw)
	}
	return out
}

func TestV2JSONDefinitions(t *testing.T) {
	_, srv := newTestServer(t)
	resp, data := get(t, srv, "/openapi/v2", "application/json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc spec.Swagger
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decode v2: %v", err)
	}
	if doc.Swagger != "2.0" || doc.Info.Version != "v1.33.0" {
		t.Errorf("swagger %q version %q", doc.Swagger, doc.Info.Version)
	}
	tests := []struct {
		def  string
		want []map[string]string
	}{
		{"io.k8s.api.apps.v1.Deployment", []map[string]string{{"group": "apps", "version": "v1", "kind": "Deployment"}}},
		{"io.k8s.api.apps.v1.DeploymentList", []map[string]string{{"group": "apps", "version": "v1", "kind": "DeploymentList"}}},
		{"io.k8s.api.autoscaling.v1.Scale", []map[string]string{{"group": "autoscaling", "version": "v1", "kind": "Scale"}}},
		{"io.k8s.api.core.v1.Pod", []map[string]string{{"group": "", "version": "v1", "kind": "Pod"}}},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.Status", []map[string]string{{"group": "", "version": "v1", "kind": "Status"}}},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", []map[string]string{
			{"group": "", "version": "v1", "kind": "DeleteOptions"},
			{"group": "apps", "version": "v1", "kind": "DeleteOptions"},
			{"group": "authentication.k8s.io", "version": "v1", "kind": "DeleteOptions"},
			{"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "DeleteOptions"},
		}},
		{"io.k8s.api.apps.v1.DeploymentStrategy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.def, func(t *testing.T) {
			def, ok := doc.Definitions[tt.def]
			if !ok {
				t.Fatalf("definition %s missing", tt.def)
			}
			got := gvkExtension(t, def.Extensions)
			if len(got) != len(tt.want) {
				t.Fatalf("GVKs %v, want %v", got, tt.want)
			}
			for i := range got {
				for _, k := range []string{"group", "version", "kind"} {
					if got[i][k] != tt.want[i][k] {
						t.Errorf("GVK %d: %v, want %v", i, got[i], tt.want[i])
					}
				}
			}
		})
	}
	strategy := doc.Definitions["io.k8s.api.apps.v1.DeploymentSpec"].Properties["strategy"]
	if want := "The deployment strategy to use to replace existing pods with new ones."; strategy.Description != want {
		t.Errorf("spec.strategy description %q, want %q", strategy.Description, want)
	}
	if strategy.Ref.String() != "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy" {
		t.Errorf("spec.strategy ref %q", strategy.Ref.String())
	}
}

func TestV2Protobuf(t *testing.T) {
	d, srv := newTestServer(t)
	for _, accept := range []string{mediaProtoV2Old, mediaProtoV2, mediaProtoV2 + ", application/json;q=0.5"} {
		t.Run(accept, func(t *testing.T) {
			resp, data := get(t, srv, "/openapi/v2", accept)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaProtoV2 {
				t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			var doc openapiv2.Document
			if err := proto.Unmarshal(data, &doc); err != nil {
				t.Fatalf("unmarshal protobuf v2: %v", err)
			}
			found := false
			for _, named := range doc.GetDefinitions().GetAdditionalProperties() {
				if named.GetName() == "io.k8s.api.apps.v1.Deployment" {
					found = len(named.GetValue().GetVendorExtension()) > 0
				}
			}
			if !found {
				t.Errorf("protobuf v2 has no io.k8s.api.apps.v1.Deployment with vendor extensions")
			}
			pb, err := d.v2.protobuf()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Etag") != pb.etag() || pb.etag() == d.v2.json.etag() {
				t.Errorf("protobuf ETag %q, want its own %q", resp.Header.Get("Etag"), pb.etag())
			}
		})
	}
}

func TestV3IndexAndDocuments(t *testing.T) {
	d, srv := newTestServer(t)
	resp, data := get(t, srv, "/openapi/v3", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("index status %d", resp.StatusCode)
	}
	var index struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatalf("decode index: %v", err)
	}
	for _, key := range []string{"api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1", "apis/authentication.k8s.io/v1"} {
		want := "/openapi/v3/" + key + "?hash=" + d.v3[key].json.hash
		if got := index.Paths[key].ServerRelativeURL; got != want {
			t.Errorf("index[%s] = %q, want %q", key, got, want)
		}
	}
	if len(index.Paths) != 4 {
		t.Errorf("index has %d group versions, want 4", len(index.Paths))
	}

	resp, data = get(t, srv, index.Paths["apis/apps/v1"].ServerRelativeURL, "application/json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("apps/v1 status %d cache-control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	var doc spec3.OpenAPI
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("decode apps/v1: %v", err)
	}
	strategy := doc.Components.Schemas["io.k8s.api.apps.v1.DeploymentStrategy"]
	if strategy == nil || strategy.Description == "" {
		t.Fatalf("DeploymentStrategy schema %v has no description", strategy)
	}
	field := doc.Components.Schemas["io.k8s.api.apps.v1.DeploymentSpec"].Properties["strategy"]
	if len(field.AllOf) != 1 || field.AllOf[0].Ref.String() != "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" || field.Description == "" {
		t.Errorf("v3 spec.strategy should wrap its ref in allOf and keep its description: %+v", field)
	}
	for path := range doc.Paths.Paths {
		if !strings.HasPrefix(path, "/apis/apps/v1/") {
			t.Errorf("apps/v1 document has foreign path %s", path)
		}
	}
	if _, ok := doc.Components.Schemas["io.k8s.api.core.v1.Namespace"]; ok {
		t.Errorf("apps/v1 document carries core/v1 Namespace, which no apps/v1 path reaches")
	}
}

func TestV3GroupVersionRequests(t *testing.T) {
	d, srv := newTestServer(t)
	current := d.v3["apis/apps/v1"].json.hash
	tests := []struct {
		name, path, accept string
		wantStatus         int
		wantType           string
		wantLocation       string
	}{
		{"current hash", "/openapi/v3/apis/apps/v1?hash=" + current, "application/json", 200, mediaJSON, ""},
		{"no hash", "/openapi/v3/apis/apps/v1", "", 200, mediaJSON, ""},
		{"stale hash", "/openapi/v3/apis/apps/v1?hash=OLD", "application/json", 301, "", "/openapi/v3/apis/apps/v1?hash=" + current},
		{"protobuf", "/openapi/v3/api/v1", mediaProtoV3Old, 200, mediaProtoV3, ""},
		{"unknown group version", "/openapi/v3/apis/nope/v1", "application/json", 404, "", ""},
		{"unacceptable", "/openapi/v3/api/v1", "text/html", 406, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, srv, tt.path, tt.accept)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantType != "" && resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("content type %q, want %q", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if loc := resp.Header.Get("Location"); loc != tt.wantLocation {
				t.Errorf("location %q, want %q", loc, tt.wantLocation)
			}
		})
	}
}

func TestNewRejectsUnknownKinds(t *testing.T) {
	gvk := func(g, v, k string) schema.GroupVersionKind {
		return schema.GroupVersionKind{Group: g, Version: v, Kind: k}
	}
	tests := []struct {
		name string
		r    Resource
	}{
		{"unknown kind", Resource{GroupVersionKind: gvk("example.com", "v1", "Widget"), Resource: "widgets", Verbs: allVerbs()}},
		{"unknown subresource kind", Resource{GroupVersionKind: gvk("apps", "v1", "Deployment"), Resource: "deployments",
			Verbs: allVerbs(), Subresources: []Subresource{{Name: "x", GroupVersionKind: gvk("x", "v1", "X"), Verbs: []string{"get"}}}}},
		{"unsupported subresource verb", Resource{GroupVersionKind: gvk("apps", "v1", "Deployment"), Resource: "deployments",
			Verbs: allVerbs(), Subresources: []Subresource{{Name: "status", GroupVersionKind: gvk("apps", "v1", "Deployment"), Verbs: []string{"watch"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New([]Resource{tt.r}, "v1.33.0"); err == nil {
				t.Errorf("New accepted %+v", tt.r)
			}
		})
	}
}
