package apiserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestOpenAPIServesEveryResource builds the documents from the served
// resource table: a resource or subresource the builder cannot describe
// must not break kubectl's validation for all the others.
func TestOpenAPIServesEveryResource(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	for path, want := range map[string]string{
		"/openapi/v2":              `"/api/v1/namespaces/{namespace}/pods/{name}/status"`,
		"/openapi/v3/api/v1":       `"/api/v1/nodes/{name}/status"`,
		"/openapi/v3/apis/apps/v1": `"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"`,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, %d bytes, want a document with %s", path, resp.StatusCode, len(body), want)
		}
	}
}
