package openapi

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestGroupVersionNames(t *testing.T) {
	tests := []struct {
		gv                    schema.GroupVersion
		path, opGroup, opTags string
	}{
		{schema.GroupVersion{Version: "v1"}, "/api/v1", "CoreV1", "core_v1"},
		{schema.GroupVersion{Group: "apps", Version: "v1"}, "/apis/apps/v1", "AppsV1", "apps_v1"},
		{schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, "/apis/rbac.authorization.k8s.io/v1", "RbacAuthorizationV1", "rbacAuthorization_v1"},
		{schema.GroupVersion{Group: "autoscaling", Version: "v2"}, "/apis/autoscaling/v2", "AutoscalingV2", "autoscaling_v2"},
		{schema.GroupVersion{Group: "networking.k8s.io", Version: "v1"}, "/apis/networking.k8s.io/v1", "NetworkingV1", "networking_v1"},
	}
	for _, tt := range tests {
		if got := groupVersionPath(tt.gv); got != tt.path {
			t.Errorf("groupVersionPath(%v) = %q, want %q", tt.gv, got, tt.path)
		}
		if got := operationGroup(tt.gv); got != tt.opGroup {
			t.Errorf("operationGroup(%v) = %q, want %q", tt.gv, got, tt.opGroup)
		}
		if got := tag(tt.gv); got != tt.opTags {
			t.Errorf("tag(%v) = %q, want %q", tt.gv, got, tt.opTags)
		}
	}
}

func TestArticle(t *testing.T) {
	tests := map[string]string{"Deployment": "a", "Ingress": "an", "Event": "an", "": "a", "Pod": "a"}
	for word, want := range tests {
		if got := article(word); got != want {
			t.Errorf("article(%q) = %q, want %q", word, got, want)
		}
	}
}
