package fieldmanager

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apis"
)

var (
	deployGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	cmGVK     = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
)

// testNow is the fake clock's time; managedFields times must equal it.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// sharedManager builds the merge schema once for the whole test binary.
var sharedManager = sync.OnceValues(func() (*Manager, error) {
	s, err := apis.NewScheme()
	if err != nil {
		return nil, err
	}
	m, err := New(s, WithClock(clocktesting.NewFakePassiveClock(testNow)))
	if err != nil {
		return nil, err
	}
	_, err = m.typeOf(deployGVK)
	return m, err
})

func testManager(tb testing.TB) *Manager {
	tb.Helper()
	m, err := sharedManager()
	if err != nil {
		tb.Fatalf("build manager: %v", err)
	}
	return m
}

// deployYAML is an apply configuration of Deployment "web" with extra spec
// lines appended (indented under spec).
func deployYAML(specLines ...string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n" +
		"  selector:\n    matchLabels:\n      app: web\n" + indent(specLines) +
		"  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: app\n        image: nginx\n"
}

func cmYAML(dataLines ...string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\ndata:\n" + indent(dataLines)
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// step is one write in a scenario: an apply of patch, or (when mutate is
// set) an update of the current object by mutate.
type step struct {
	manager     string
	patch       string
	force       bool
	mutate      func(runtime.Object)
	subresource string
	wantCode    int32  // expected API status code; 0 means success
	wantMsg     string // substring of the error message
}

// run performs steps on gvk starting from no object and returns the final
// object; failures of expectations are reported on t.
func run(t *testing.T, m *Manager, gvk schema.GroupVersionKind, steps []step) runtime.Object {
	t.Helper()
	var cur runtime.Object
	for i, st := range steps {
		var next runtime.Object
		var err error
		if st.mutate != nil {
			next = cur.DeepCopyObject()
			st.mutate(next)
			next, err = m.Update(context.Background(), gvk, cur, next, st.manager, st.subresource)
		} else {
			next, err = m.Apply(context.Background(), gvk, cur, []byte(st.patch), st.manager, st.force)
		}
		if st.wantCode != 0 {
			if code := apiCode(err); code != st.wantCode {
				t.Fatalf("step %d: got error %v (code %d), want code %d", i, err, code, st.wantCode)
			}
			if !strings.Contains(err.Error(), st.wantMsg) {
				t.Fatalf("step %d: error %q does not contain %q", i, err.Error(), st.wantMsg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		cur = next
	}
	return cur
}

func apiCode(err error) int32 {
	if status, ok := err.(apierrors.APIStatus); ok {
		return status.Status().Code
	}
	return 0
}

// ownership summarises managedFields as "manager/operation[/subresource]"
// mapped to the fieldsV1 JSON.
func ownership(t *testing.T, obj runtime.Object) map[string]string {
	t.Helper()
	acc, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range acc.GetManagedFields() {
		key := e.Manager + "/" + string(e.Operation)
		if e.Subresource != "" {
			key += "/" + e.Subresource
		}
		// A no-op apply leaves the time unset, as upstream.
		if e.FieldsType != "FieldsV1" || (e.Time != nil && !e.Time.Time.Equal(testNow)) {
			t.Errorf("entry %s: fieldsType %q time %v", key, e.FieldsType, e.Time)
		}
		out[key] = string(e.FieldsV1.Raw)
	}
	return out
}

// fieldsHas reports whether a fieldsV1 JSON contains the nested keys.
func fieldsHas(raw string, keys ...string) bool {
	var node map[string]interface{}
	if err := json.Unmarshal([]byte(raw), &node); err != nil {
		return false
	}
	for _, k := range keys {
		next, ok := node[k].(map[string]interface{})
		if !ok {
			return false
		}
		node = next
	}
	return true
}

func setReplicas(n int32) func(runtime.Object) {
	return func(o runtime.Object) { o.(*appsv1.Deployment).Spec.Replicas = &n }
}
