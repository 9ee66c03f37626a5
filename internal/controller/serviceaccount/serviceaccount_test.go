package serviceaccount

import (
	"context"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestSync(t *testing.T) {
	now := metav1.Now()
	tests := []struct {
		name    string
		ns      *corev1.Namespace
		existed bool
		want    bool
	}{
		{"active namespace gets default", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}, false, true},
		{"existing account kept", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}, true, true},
		{"terminating phase skipped", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}, false, false},
		{"deletion timestamp skipped", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", DeletionTimestamp: &now}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []runtime.Object{tt.ns}
			if tt.existed {
				objs = append(objs, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultName, Namespace: "a", Labels: map[string]string{"keep": "me"}}})
			}
			cs := fake.NewClientset(objs...)
			f := informers.NewSharedInformerFactory(cs, 0)
			c, err := New(Options{Client: cs, Namespaces: f.Core().V1().Namespaces(), ServiceAccounts: f.Core().V1().ServiceAccounts()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f.Start(ctx.Done())
			f.WaitForCacheSync(ctx.Done())
			if err := c.sync(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			sa, err := cs.CoreV1().ServiceAccounts("a").Get(ctx, DefaultName, metav1.GetOptions{})
			if got := err == nil; got != tt.want {
				t.Fatalf("default exists = %v, want %v (err %v)", got, tt.want, err)
			}
			if tt.existed && sa.Labels["keep"] != "me" {
				t.Errorf("existing account was replaced: %+v", sa)
			}
			for _, a := range cs.Actions() {
				if a.GetVerb() == "create" && tt.existed {
					t.Errorf("unexpected create for existing account")
				}
			}
		})
	}
}

func TestDefaultAccountLifecycle(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, false)
	f := informers.NewSharedInformerFactory(cs, 0)
	c, err := New(Options{
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Client: cs,
		Namespaces: f.Core().V1().Namespaces(), ServiceAccounts: f.Core().V1().ServiceAccounts(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; f.Shutdown() })

	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDefault(t, cs, "team")
	if err := cs.CoreV1().ServiceAccounts("team").Delete(ctx, DefaultName, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDefault(t, cs, "team")
}

func waitDefault(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, DefaultName, metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("default service account in %s: %v", ns, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
