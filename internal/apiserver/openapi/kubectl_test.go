package openapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubectlBinaries returns the real kubectl binaries on this machine, newest
// last; none means the test is skipped.
func kubectlBinaries() []string {
	found, _ := filepath.Glob("/usr/lib/google-cloud-sdk/bin/kubectl.1.*")
	sort.Strings(found)
	return found
}

// serveLegacyDiscovery answers the legacy discovery documents kubectl needs
// to map "deployment" to apps/v1 deployments.
func serveLegacyDiscovery(mux *http.ServeMux) {
	write := func(w http.ResponseWriter, v interface{}) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		write(w, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	})
	mux.HandleFunc("/apis", func(w http.ResponseWriter, r *http.Request) {
		gv := metav1.GroupVersionForDiscovery{GroupVersion: "apps/v1", Version: "v1"}
		write(w, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
			Groups: []metav1.APIGroup{{Name: "apps", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}}})
	})
	mux.HandleFunc("/api/v1", func(w http.ResponseWriter, r *http.Request) {
		write(w, metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "pods", Namespaced: true, Kind: "Pod", Verbs: allVerbs()},
			{Name: "namespaces", Kind: "Namespace", Verbs: allVerbs()},
		}})
	})
	mux.HandleFunc("/apis/apps/v1", func(w http.ResponseWriter, r *http.Request) {
		write(w, metav1.APIResourceList{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
			{Name: "deployments", Namespaced: true, Kind: "Deployment", Verbs: allVerbs()},
		}})
	})
}

// TestKubectlExplain runs the real kubectl explain against the documents.
func TestKubectlExplain(t *testing.T) {
	bins := kubectlBinaries()
	if len(bins) == 0 {
		t.Skip("no kubectl under /usr/lib/google-cloud-sdk/bin")
	}
	d, err := New(testResources(), "v1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	serveLegacyDiscovery(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, bin := range bins {
		t.Run(filepath.Base(bin), func(t *testing.T) {
			cmd := exec.Command(bin, "--server", srv.URL, "explain", "deployment.spec.strategy")
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "KUBECONFIG=/dev/null")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl explain: %v\n%s", err, out)
			}
			if testing.Verbose() {
				t.Logf("%s", out)
			}
			for _, want := range []string{"GROUP:      apps", "KIND:       Deployment", "FIELD: strategy <DeploymentStrategy>",
				"The deployment strategy to use to replace existing pods with new ones.", "rollingUpdate"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
