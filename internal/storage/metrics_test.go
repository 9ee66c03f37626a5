package storage

import "testing"

func TestObjectType(t *testing.T) {
	for key, want := range map[string]string{
		"/pods/ns/x":                      "pods",
		"/namespaces/default":             "namespaces",
		"/apps/deployments/ns/x":          "deployments.apps",
		"/networking.k8s.io/ingresses/":   "ingresses.networking.k8s.io",
		"/allocations/clusterips/1.2.3.4": "clusterips.allocations",
	} {
		if got := objectType(key); got != want {
			t.Errorf("objectType(%q) = %q, want %q", key, got, want)
		}
	}
}
