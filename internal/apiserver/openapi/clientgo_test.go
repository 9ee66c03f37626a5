package openapi

import (
	"testing"

	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi3"
	"k8s.io/client-go/rest"
)

// newDiscovery returns a client-go discovery client for the test server,
// the way kubectl builds one.
func newDiscovery(t *testing.T) *discovery.DiscoveryClient {
	t.Helper()
	_, srv := newTestServer(t)
	dc, err := discovery.NewDiscoveryClientForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatalf("discovery client: %v", err)
	}
	return dc
}

// TestClientGoOpenAPIV2 reads /openapi/v2 as client-go's DiscoveryClient
// does: protobuf only.
func TestClientGoOpenAPIV2(t *testing.T) {
	doc, err := newDiscovery(t).OpenAPISchema()
	if err != nil {
		t.Fatalf("OpenAPISchema: %v", err)
	}
	names := map[string]bool{}
	for _, d := range doc.GetDefinitions().GetAdditionalProperties() {
		names[d.GetName()] = true
	}
	for _, want := range []string{"io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.PodSpec", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"} {
		if !names[want] {
			t.Errorf("v2 protobuf lacks %s", want)
		}
	}
}

// TestClientGoOpenAPIV3 reads the v3 documents through client-go's openapi
// client and openapi3 root, which kubectl explain and validation use.
func TestClientGoOpenAPIV3(t *testing.T) {
	dc := newDiscovery(t)
	client := dc.OpenAPIV3()
	paths, err := client.Paths()
	if err != nil {
		t.Fatalf("Paths: %v", err)
	}
	apps, ok := paths["apis/apps/v1"]
	if !ok {
		t.Fatalf("paths %v lack apis/apps/v1", paths)
	}
	raw, err := apps.Schema(openapi.ContentTypeOpenAPIV3PB)
	if err != nil {
		t.Fatalf("apps/v1 protobuf: %v", err)
	}
	var pb openapiv3.Document
	if err := proto.Unmarshal(raw, &pb); err != nil {
		t.Fatalf("apps/v1 protobuf does not parse: %v", err)
	}

	root := openapi3.NewRoot(client)
	gvs, err := root.GroupVersions()
	if err != nil || len(gvs) != 4 {
		t.Fatalf("GroupVersions = %v, %v; want 4", gvs, err)
	}
	doc, err := root.GVSpec(schema.GroupVersion{Group: "apps", Version: "v1"})
	if err != nil {
		t.Fatalf("GVSpec apps/v1: %v", err)
	}
	found := ""
	for name, s := range doc.Components.Schemas {
		var gvks []map[string]string
		if err := s.Extensions.GetObject(extGVK, &gvks); err != nil {
			continue
		}
		for _, g := range gvks {
			if g["group"] == "apps" && g["version"] == "v1" && g["kind"] == "Deployment" {
				found = name
			}
		}
	}
	if found != "io.k8s.api.apps.v1.Deployment" {
		t.Errorf("schema carrying apps/v1 Deployment GVK = %q", found)
	}
	if _, err := root.GVSpec(schema.GroupVersion{Group: "batch", Version: "v1"}); err == nil {
		t.Errorf("GVSpec of an unserved group version succeeded")
	}
}

// TestTypeConverter builds client-go's structured-merge-diff type converter
// from every served v3 document, which needs every reference to resolve,
// and converts a Deployment with it.
func TestTypeConverter(t *testing.T) {
	tc, err := openapi.NewTypeConverter(newDiscovery(t).OpenAPIV3(), false)
	if err != nil {
		t.Fatalf("NewTypeConverter: %v", err)
	}
	var _ managedfields.TypeConverter = tc
	replicas := int32(2)
	obj := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas,
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}},
	}
	typed, err := tc.ObjectToTyped(obj)
	if err != nil {
		t.Fatalf("ObjectToTyped: %v", err)
	}
	if err := typed.Validate(); err != nil {
		t.Errorf("typed Deployment does not validate: %v", err)
	}
}
