package server

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestStartServesKubeconfigAndRestarts starts the control plane, talks to it
// through the admin kubeconfig over TLS, stops it and starts it again on the
// same data dir: the object and the CA survive.
func TestStartServesKubeconfigAndRestarts(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, BindAddress: "127.0.0.1", HTTPSPort: freePort(t), ServiceCIDR: "10.43.0.0/16", Log: slog.New(slog.DiscardHandler), DisableAgent: true}
	start := func() (*Running, context.CancelFunc, *kubernetes.Clientset) {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := Start(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		rc, err := clientcmd.BuildConfigFromFlags("", r.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		return r, cancel, kubernetes.NewForConfigOrDie(rc)
	}
	r, cancel, cs := start()
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "survivor"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	loop := kubernetes.NewForConfigOrDie(r.Loopback)
	if _, err := loop.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("loopback client: %v", err)
	}
	ca1, _ := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	cancel()
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}

	r, cancel, cs = start()
	defer func() { cancel(); r.Wait() }()
	if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "survivor", metav1.GetOptions{}); err != nil {
		t.Fatalf("object lost across restart: %v", err)
	}
	ca2, _ := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	if string(ca1) != string(ca2) {
		t.Fatal("CA replaced on restart")
	}
}

// TestBadSchedulerConfigStopsStart: a broken scheduler configuration file
// keeps the server from starting and says which file and what is wrong.
func TestBadSchedulerConfigStopsStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sched.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles: [{plugins: {score: {enabled: [{name: Nope}]}}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Config{DataDir: t.TempDir(), BindAddress: "127.0.0.1", HTTPSPort: freePort(t),
		ServiceCIDR: "10.43.0.0/16", DisableAgent: true, SchedulerConfig: path})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `ScorePlugin "Nope" does not exist`) {
		t.Fatalf("Start with a bad scheduler config: %v", err)
	}
}
