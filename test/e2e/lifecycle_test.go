package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// TestSIGTERM checks that SIGTERM stops the server cleanly: exit status 0,
// within a few seconds.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	took, err := c.stop()
	if err != nil {
		t.Fatalf("server did not exit 0 after SIGTERM: %v\n%s", err, c.log())
	}
	if took > 5*time.Second {
		t.Errorf("server took %s to exit after SIGTERM, want under 5s", took)
	}
}

// TestRestart stops a server and starts another on the same data dir:
// objects survive and the CA, certificates and kubeconfig are reused. The
// second server listens on the same port, so the kubeconfig may not change.
func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startCluster(t, serverOptions{dataDir: dir})
	files := []string{"admin.kubeconfig", "pki/ca.crt", "pki/serving.crt", "pki/admin.crt"}
	before := readFiles(t, dir, files)
	forEachKubectl(t, first, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-restart")
		k.ok("-n", ns, "create", "configmap", "kept", "--from-literal=k=v")
	})
	if _, err := first.stop(); err != nil {
		t.Fatalf("stop first server: %v", err)
	}

	second := startCluster(t, serverOptions{dataDir: dir, port: first.port})
	after := readFiles(t, dir, files)
	for _, f := range files {
		if !bytes.Equal(before[f], after[f]) {
			t.Errorf("%s changed across a restart; it must be reused", f)
		}
	}
	forEachKubectl(t, second, func(t *testing.T, k *kubectl) {
		ns := versionedName("e2e-restart", k.version)
		wantEqual(t, "configmap after restart",
			k.ok("-n", ns, "get", "configmap", "kept", "-o", "jsonpath={.data.k}"), "v")
		wantEqual(t, "namespace after restart", k.ok("get", "namespace", ns, "-o", "name"), "namespace/"+ns+"\n")
	})
}

func readFiles(t *testing.T, dir string, names []string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		out[n] = b
	}
	return out
}

// TestExternalEtcd runs etcd in the test process on loopback and points the
// server at it with --etcd-servers: the API works, the objects are in that
// etcd, and no embedded etcd is started.
func TestExternalEtcd(t *testing.T) {
	t.Parallel()
	endpoint := startEtcd(t)
	dir := t.TempDir()
	c := startCluster(t, serverOptions{dataDir: dir, etcdServers: endpoint})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-etcd")
		wantEqual(t, "create configmap", k.ok("-n", ns, "create", "configmap", "stored", "--from-literal=k=v"),
			"configmap/stored created\n")
	})
	if _, err := os.Stat(filepath.Join(dir, "etcd")); !os.IsNotExist(err) {
		t.Errorf("data dir has an etcd directory with --etcd-servers set (stat: %v)", err)
	}

	client, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, v := range kubectlVersions() {
		key := "/registry/configmaps/" + versionedName("e2e-etcd", v) + "/stored"
		resp, err := client.Get(ctx, key, clientv3.WithCountOnly())
		if err != nil {
			t.Fatalf("get %s from etcd: %v", key, err)
		}
		if _, statErr := os.Stat(filepath.Join(kubectlDir, "kubectl."+v)); statErr == nil && resp.Count != 1 {
			t.Errorf("external etcd has %d keys %s, want 1", resp.Count, key)
		}
	}
}

// startEtcd runs a single-member etcd in this process with its client on a
// free loopback port and its peer on a unix socket; t.Cleanup stops it.
func startEtcd(t *testing.T) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := embed.NewConfig()
	cfg.Name = "e2e"
	cfg.Dir = filepath.Join(dir, "data")
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
	peer := url.URL{Scheme: "unix", Path: filepath.Join(dir, "peer.sock")}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.Logger = "zap"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatalf("etcd failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("etcd not ready after 30s")
	}
	return client.String()
}
