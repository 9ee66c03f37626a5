package apiserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/etcd"
	"github.com/capstan/capstan/internal/storage"
	"github.com/capstan/capstan/internal/storage/encryption"
)

// eventLog is an audit.Sink keeping events in memory.
type eventLog struct {
	mu     sync.Mutex
	events []audit.Event
}

func (l *eventLog) Write(ev *audit.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, *ev)
}

func (l *eventLog) find(verb, resource, name string, stage audit.Stage) []audit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []audit.Event
	for _, e := range l.events {
		if e.Verb == verb && e.Stage == stage && e.ObjectRef != nil && e.ObjectRef.Resource == resource && e.ObjectRef.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func (l *eventLog) json(t *testing.T) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := json.Marshal(l.events)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*"]
- level: RequestResponse
`

func startAudited(t *testing.T) (*apiservertest.Server, *eventLog) {
	t.Helper()
	p, err := audit.ParsePolicy([]byte(auditPolicy))
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	srv := apiservertest.Start(t, func(c *apiserver.Config) { c.Audit = audit.NewLogger(p, log, nil) })
	return srv, log
}

func TestAuditRecordsRequests(t *testing.T) {
	for _, protobuf := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "protobuf"}[protobuf], func(t *testing.T) {
			ctx := context.Background()
			srv, log := startAudited(t)
			cs := srv.Clientset(t, protobuf)
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c1"}, Data: map[string]string{"color": "blue"}}
			if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1"}, StringData: map[string]string{"password": "hunter2"}}
			if _, err := cs.CoreV1().Secrets("default").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CoreV1().Secrets("default").Get(ctx, "s1", metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := cs.CoreV1().Secrets("default").Delete(ctx, "s1", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CoreV1().Pods("default").Get(ctx, "missing", metav1.GetOptions{}); err == nil {
				t.Fatal("get of a missing pod succeeded")
			}

			creates := log.find("create", "configmaps", "c1", audit.StageResponseComplete)
			if len(creates) != 1 {
				t.Fatalf("configmap create events: %d", len(creates))
			}
			c := creates[0]
			if c.Level != audit.LevelRequestResponse || c.User.Username != "test-admin" || c.ResponseStatus.Code != 201 ||
				!bytes.Contains(c.RequestObject, []byte(`"color":"blue"`)) || !bytes.Contains(c.ResponseObject, []byte(`"uid"`)) {
				t.Fatalf("configmap create event: %+v\nreq %s\nresp %s", c, c.RequestObject, c.ResponseObject)
			}
			if len(log.find("create", "configmaps", "c1", audit.StageRequestReceived)) != 1 {
				t.Fatal("no RequestReceived event")
			}
			dels := log.find("delete", "secrets", "s1", audit.StageResponseComplete)
			if len(dels) != 1 || dels[0].Level != audit.LevelMetadata || dels[0].ResponseStatus.Code != 200 || dels[0].ObjectRef.Namespace != "default" {
				t.Fatalf("secret delete events: %+v", dels)
			}
			all := log.json(t)
			for _, leak := range []string{"hunter2", base64.StdEncoding.EncodeToString([]byte("hunter2"))} {
				if bytes.Contains(all, []byte(leak)) {
					t.Fatalf("secret data %q in the audit log", leak)
				}
			}
			gets := log.find("get", "pods", "missing", audit.StageResponseComplete)
			if len(gets) != 1 || gets[0].ResponseStatus.Code != 404 || gets[0].ResponseStatus.Reason != metav1.StatusReasonNotFound {
				t.Fatalf("failed get events: %+v", gets)
			}
		})
	}
}

func TestAuditIDHeaderAndWatchStages(t *testing.T) {
	srv, log := startAudited(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1", nil)
	req.Header.Set("Audit-ID", "fixed-id-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body) // the watch ends after timeoutSeconds
	resp.Body.Close()
	if got := resp.Header.Get("Audit-Id"); got != "fixed-id-1" {
		t.Fatalf("Audit-Id header %q", got)
	}
	var stages string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var s []string
		log.mu.Lock()
		for _, e := range log.events {
			if e.AuditID == "fixed-id-1" {
				s = append(s, string(e.Stage))
			}
		}
		log.mu.Unlock()
		if stages = strings.Join(s, ","); stages == "RequestReceived,ResponseStarted,ResponseComplete" {
			break
		}
	}
	if stages != "RequestReceived,ResponseStarted,ResponseComplete" {
		t.Fatalf("watch stages: %v", stages)
	}
	resp, err = http.Get(srv.URL + "/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Header.Get("Audit-Id")) != 36 {
		t.Fatalf("generated Audit-Id %q is not a UUID", resp.Header.Get("Audit-Id"))
	}
}

// encServer runs an API server over client whose store encrypts as the
// EncryptionConfiguration doc says. Several may run over one etcd, as a
// restarted server with a new config.
func encServer(t testing.TB, client *clientv3.Client, doc string) *kubernetes.Clientset {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	enc, err := encryption.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := apis.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]bool{}
	for _, gv := range scheme.PrioritizedVersionsAllGroups() {
		groups[gv.Group] = gv.Group != ""
	}
	tr := enc.KeyTransformer("/registry", func(s string) bool { return groups[s] })
	store := storage.New(client, storage.NewProtobufCodec(scheme), "/registry", storage.WithTransformer(tr))
	api, err := apiserver.New(apiserver.Config{Store: store, Log: slog.New(slog.DiscardHandler), AdmissionPlugins: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h := api.Handler()
	admin := apiserver.User{Name: "test-admin", Groups: []string{"system:masters"}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(apiserver.WithUser(r.Context(), admin)))
	}))
	t.Cleanup(hs.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func encDoc(keys ...string) string {
	doc := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n"
	for _, k := range keys {
		doc += "      - name: " + k + "\n        secret: " + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(k[len(k)-1:]), 32)) + "\n"
	}
	return doc + "  - identity: {}\n"
}

// TestEncryptionKeyRotation: key1 → [key2, key1] → replace every Secret →
// [key2] still reads them; reads and watches see plaintext throughout.
func TestEncryptionKeyRotation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, err := etcd.StartEmbedded(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	client, err := e.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	raw := func(key string) string {
		resp, err := client.Get(ctx, key)
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("raw get %s: %v", key, err)
		}
		return string(resp.Kvs[0].Value)
	}

	cs := encServer(t, client, encDoc("key1"))
	w, err := cs.CoreV1().Secrets("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, name := range []string{"a", "b"} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"password": "hunter2-" + name}}
		if _, err := cs.CoreV1().Secrets("default").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	v := raw("/registry/secrets/default/a")
	if !strings.HasPrefix(v, "k8s:enc:aesgcm:v1:key1:") || strings.Contains(v, "hunter2") {
		t.Fatalf("raw value not encrypted with key1: %q", v[:min(len(v), 40)])
	}
	ev := <-w.ResultChan()
	if s, ok := ev.Object.(*corev1.Secret); !ok || string(s.Data["password"]) != "hunter2-a" {
		t.Fatalf("watch event not decrypted: %+v", ev)
	}
	// A ConfigMap is not in the config: stored as is.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Data: map[string]string{"k": "visible"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw("/registry/configmaps/default/plain"), "visible") {
		t.Fatal("configmap stored encrypted")
	}

	// Add key2 first: old values still read; a replace of every Secret
	// (kubectl get secrets -A -o json | kubectl replace -f -) rewrites them.
	cs = encServer(t, client, encDoc("key2", "key1"))
	list, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		s := &list.Items[i]
		if _, err := cs.CoreV1().Secrets(s.Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if v := raw("/registry/secrets/" + s.Namespace + "/" + s.Name); !strings.HasPrefix(v, "k8s:enc:aesgcm:v1:key2:") {
			t.Fatalf("replace of %s did not re-encrypt with key2: %q", s.Name, v[:min(len(v), 40)])
		}
	}

	// Remove key1: everything still reads.
	cs = encServer(t, client, encDoc("key2"))
	for _, name := range []string{"a", "b"} {
		s, err := cs.CoreV1().Secrets("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil || string(s.Data["password"]) != "hunter2-"+name {
			t.Fatalf("get %s after removing key1: %v %v", name, s, err)
		}
	}
	// Without any key for the data, reads fail instead of returning garbage.
	cs = encServer(t, client, encDoc("key3"))
	if _, err := cs.CoreV1().Secrets("default").Get(ctx, "a", metav1.GetOptions{}); err == nil {
		t.Fatal("secret read without its key")
	}
}
