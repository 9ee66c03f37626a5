package agent

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

func TestNewLazyClientsetRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  rest.Config
		wantErr bool
	}{
		{name: "plain host", config: rest.Config{Host: "https://127.0.0.1:6443"}},
		{name: "QPS with burst", config: rest.Config{Host: "https://127.0.0.1:6443", QPS: 10, Burst: 20}},
		{name: "QPS without burst", config: rest.Config{Host: "https://127.0.0.1:6443", QPS: 10}, wantErr: true},
		{name: "CA that is not PEM", config: rest.Config{Host: "https://127.0.0.1:6443",
			TLSClientConfig: rest.TLSClientConfig{CAData: []byte("not a certificate")}}, wantErr: true},
		{name: "CA together with insecure", config: rest.Config{Host: "https://127.0.0.1:6443",
			TLSClientConfig: rest.TLSClientConfig{Insecure: true, CAData: []byte("x")}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newLazyClientset(&tt.config)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestLazyClientsetBuildsGroupsOnFirstUse checks that only core/v1 exists
// after construction, that a group is built once, and that all groups share
// the http.Client and one rate limiter.
func TestLazyClientsetBuildsGroupsOnFirstUse(t *testing.T) {
	cs, err := newLazyClientset(&rest.Config{Host: "https://127.0.0.1:6443", QPS: 10, Burst: 20})
	if err != nil {
		t.Fatal(err)
	}
	if cs.coreV1.client == nil {
		t.Error("core/v1 client not built by the constructor")
	}
	if cs.appsV1.client != nil || cs.storageV1.client != nil || cs.discovery.client != nil {
		t.Fatal("groups built before first use")
	}
	first := cs.AppsV1()
	if cs.appsV1.client == nil {
		t.Fatal("apps/v1 client not kept after first use")
	}
	if second := cs.AppsV1(); second != first {
		t.Error("apps/v1 client built twice")
	}
	if cs.storageV1.client != nil {
		t.Error("using apps/v1 built storage/v1")
	}
	if cs.config.RateLimiter == nil {
		t.Error("no shared rate limiter for QPS 10")
	}
	apps, core := cs.appsV1.client.RESTClient().(*rest.RESTClient), cs.coreV1.client.RESTClient().(*rest.RESTClient)
	if apps.Client != core.Client {
		t.Error("groups do not share the http.Client")
	}
	if apps.GetRateLimiter() != core.GetRateLimiter() {
		t.Error("groups do not share the rate limiter")
	}
	if got := apps.APIVersion().String(); got != "apps/v1" {
		t.Errorf("apps client group version = %q", got)
	}
}

// TestLazyClientsetAgainstAPIServer drives a real API server through the
// core, apps and discovery clients.
func TestLazyClientsetAgainstAPIServer(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs, err := newLazyClientset(srv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lazy"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	labels := map[string]string{"app": "x"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "lazy"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
	}}
	if _, err := cs.AppsV1().Deployments("lazy").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	got, err := cs.AppsV1().Deployments("lazy").Get(ctx, "d", metav1.GetOptions{})
	if err != nil || got.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Fatalf("get deployment = %v, %v", got, err)
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Errorf("server version: %v", err)
	}
}
