package apiserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestBadInputGetsStatus sends malformed and mistaken requests and checks
// each gets the right Status code and a message naming the problem, and
// that the stored object is unchanged.
func TestBadInputGetsStatus(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	orig, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const cms = "/api/v1/namespaces/default/configmaps"
	tests := []struct {
		name, method, path, ctype, body string
		code                            int
		msg                             string
	}{
		{"malformed json", "POST", cms, "application/json", `{"metadata":`, 400, "cannot be handled as a ConfigMap"},
		{"malformed yaml", "POST", cms, "application/yaml", "metadata: [", 400, "cannot be handled as a ConfigMap"},
		{"malformed protobuf", "POST", cms, "application/vnd.kubernetes.protobuf", "k8s\x00garbage", 400, "cannot be handled as a ConfigMap"},
		{"wrong apiVersion", "POST", cms, "application/json", `{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}`, 400, `no kind "ConfigMap" is registered for version "apps/v1"`},
		{"wrong kind", "POST", cms, "application/json", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}`, 400, "does not match the expected kind"},
		{"unknown field strict", "POST", cms + "?fieldValidation=Strict", "application/json", `{"metadata":{"name":"x"},"spec":{"foo":1}}`, 400, `strict decoding error: unknown field "spec"`},
		{"duplicate field strict", "POST", cms + "?fieldValidation=Strict", "application/json", `{"metadata":{"name":"x","name":"y"}}`, 400, `duplicate field "metadata.name"`},
		{"bad name", "POST", cms, "application/json", `{"metadata":{"name":"Not_A_Name"}}`, 422, "metadata.name"},
		{"namespace mismatch", "POST", cms, "application/json", `{"metadata":{"name":"x","namespace":"other"}}`, 400, "does not match the namespace"},
		{"unsupported media", "POST", cms, "text/plain", `hi`, 415, "unknown format"},
		{"empty body", "POST", cms, "application/json", ``, 400, "empty"},
		{"unknown query param", "GET", cms + "?frobnicate=1", "", "", 400, `unknown query parameter "frobnicate"`},
		{"bad limit", "GET", cms + "?limit=ten", "", "", 400, "limit"},
		{"bad label selector", "GET", cms + "?labelSelector=a%20in%20(", "", "", 400, "unable to parse requirement"},
		{"unsupported field selector", "GET", cms + "?fieldSelector=spec.nope%3D1", "", "", 400, `"spec.nope" is not a known field selector: only "metadata.name", "metadata.namespace"`},
		{"bad continue", "GET", cms + "?limit=1&continue=bm90LWEtdG9rZW4", "", "", 400, "continue"},
		{"unknown resource", "GET", "/api/v1/frobs", "", "", 404, "could not find the requested resource"},
		{"unknown group", "GET", "/apis/nope.example.com/v1/things", "", "", 404, "could not find the requested resource"},
		{"name mismatch on update", "PUT", cms + "/keep", "application/json", `{"metadata":{"name":"other"}}`, 400, "does not match the name on the URL"},
		{"stale update", "PUT", cms + "/keep", "application/json", `{"metadata":{"name":"keep","resourceVersion":"1"},"data":{"k":"changed"}}`, 409, "the object has been modified"},
		{"bad json patch", "PATCH", cms + "/keep", "application/json-patch+json", `{"op":"add"}`, 400, "error decoding patch"},
		{"failing json patch", "PATCH", cms + "/keep", "application/json-patch+json", `[{"op":"test","path":"/data/k","value":"x"}]`, 422, "testing value"},
		{"bad merge patch", "PATCH", cms + "/keep", "application/merge-patch+json", `{"data":`, 400, "error decoding patch"},
		{"bad strategic patch", "PATCH", cms + "/keep", "application/strategic-merge-patch+json", `[1,2]`, 400, "error decoding patch"},
		{"unknown patch type", "PATCH", cms + "/keep", "application/foo", `{}`, 415, "unknown format"},
		{"bad delete precondition", "DELETE", cms + "/keep", "application/json", `{"preconditions":{"uid":"nope"}}`, 409, "Precondition failed: UID"},
		{"bad dry run", "POST", cms + "?dryRun=Some", "application/json", `{"metadata":{"name":"x"}}`, 400, "dry run"},
		{"bad propagation", "DELETE", cms + "/keep?propagationPolicy=Sideways", "", "", 400, "propagationPolicy"},
		{"huge body", "POST", cms, "application/json", `{"metadata":{"name":"big"},"data":{"k":"` + strings.Repeat("x", 4<<20) + `"}}`, 413, "limit is"},
		{"not acceptable", "GET", cms, "", "", 406, "media types"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.name == "not acceptable" {
				req.Header.Set("Accept", "text/html")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var st metav1.Status
			if err := json.Unmarshal(body, &st); err != nil || st.Kind != "Status" {
				t.Fatalf("response is not a Status: %s", body)
			}
			if resp.StatusCode != tc.code || int(st.Code) != tc.code || !strings.Contains(st.Message, tc.msg) {
				t.Fatalf("got %d %q, want %d containing %q", resp.StatusCode, st.Message, tc.code, tc.msg)
			}
		})
	}
	got, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "keep", metav1.GetOptions{})
	if err != nil || got.ResourceVersion != orig.ResourceVersion || got.Data["k"] != "v" {
		t.Fatalf("stored object changed by bad requests: %+v %v", got, err)
	}
}

// TestFieldValidationWarnMode keeps unknown fields out but says so.
func TestFieldValidationWarnMode(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/namespaces/default/configmaps?fieldValidation=Warn", strings.NewReader(`{"metadata":{"name":"w"},"bogus":1}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(resp.Header.Get("Warning"), `unknown field \"bogus\"`) {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("got %d, Warning %q: %s", resp.StatusCode, resp.Header.Get("Warning"), b)
	}
}
