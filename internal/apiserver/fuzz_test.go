package apiserver_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// serve sends one request straight to the handler as an admin.
func serve(srv *apiservertest.Server, method, path, ctype string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", ctype)
	req = req.WithContext(apiserver.WithUser(req.Context(), apiserver.User{Name: "fuzz", Groups: []string{"system:masters"}}))
	rec := httptest.NewRecorder()
	srv.API.Handler().ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails on a server error, or an error that is not a Status.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("server error %d: %s", rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 {
		var st metav1.Status
		if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Message == "" {
			t.Fatalf("error %d is not a Status with a message: %s", rec.Code, rec.Body.String())
		}
	}
}

func FuzzCreateDecoding(f *testing.F) {
	srv := apiservertest.Start(f, nil)
	types := []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	f.Add(uint8(0), []byte(`{"metadata":{"name":"a"},"data":{"k":"v"}}`))
	f.Add(uint8(0), []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}}`))
	f.Add(uint8(1), []byte("metadata:\n  name: y\ndata: {a: b}\n"))
	f.Add(uint8(2), []byte("k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret"))
	f.Add(uint8(0), []byte(`{"metadata":{"name":"a","labels":{"":""}},"spec":{"containers":null}}`))
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		for _, res := range []string{"configmaps", "pods", "services"} {
			rec := serve(srv, "POST", "/api/v1/namespaces/default/"+res+"?fieldValidation=Strict", types[int(ct)%len(types)], body)
			checkAnswer(t, rec)
		}
	})
}

func FuzzPatch(f *testing.F) {
	srv := apiservertest.Start(f, nil)
	cs := srv.Clientset(f, false)
	if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "target", Labels: map[string]string{"a": "b"}}, Data: map[string]string{"k": "v"}},
		metav1.CreateOptions{}); err != nil {
		f.Fatal(err)
	}
	types := []string{"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"}
	f.Add(uint8(0), []byte(`[{"op":"add","path":"/data/x","value":"y"}]`))
	f.Add(uint8(0), []byte(`[{"op":"remove","path":"/metadata"}]`))
	f.Add(uint8(1), []byte(`{"metadata":{"name":"other"}}`))
	f.Add(uint8(1), []byte(`{"data":null,"metadata":{"labels":{"a":null}}}`))
	f.Add(uint8(2), []byte(`{"metadata":{"$patch":"replace"}}`))
	f.Add(uint8(2), []byte(`{"data":{"$retainKeys":["k"]}}`))
	f.Add(uint8(3), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: target\ndata:\n  k: w\n"))
	f.Fuzz(func(t *testing.T, pt uint8, body []byte) {
		rec := serve(srv, "PATCH", "/api/v1/namespaces/default/configmaps/target?dryRun=All&fieldManager=fuzz", types[int(pt)%len(types)], body)
		checkAnswer(t, rec)
	})
}
