package e2e

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/test/images"
)

// TestAdmissionUnderMemoryPressure runs a node whose soft memory threshold
// is always met but never evicts (grace period 1h): the node has
// MemoryPressure, so its kubelet rejects a new BestEffort pod (Failed,
// Evicted, "Pod was rejected: The node had condition: [MemoryPressure]. ")
// and admits a Burstable one and a BestEffort one tolerating the taint.
func TestAdmissionUnderMemoryPressure(t *testing.T) {
	c := startNode(t, "--eviction-soft", "memory.available<1000Gi", "--eviction-soft-grace-period", "memory.available=1h")
	client := clientFor(t, c)
	ctx := context.Background()
	err := eventually(ctx, 60*time.Second, func() error {
		n, err := client.CoreV1().Nodes().Get(ctx, c.nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == v1.NodeMemoryPressure && cond.Status == v1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("no MemoryPressure yet: %+v", n.Status.Conditions)
	})
	if err != nil {
		t.Fatal(err)
	}
	k := newKubectl(t, c)
	ns := k.namespace("admission")
	// No service account token volume: these pods need nothing but the node.
	const noToken = "  automountServiceAccountToken: false\n"
	k.okIn(busyboxPod("besteffort", c.nodeName, "sleep 3600", noToken), "apply", "-n", ns, "-f", "-")
	k.okIn(busyboxPod("burstable", c.nodeName, "sleep 3600", "    resources:\n      requests:\n        memory: 16Mi\n"+noToken), "apply", "-n", ns, "-f", "-")
	k.okIn(busyboxPod("tolerating", c.nodeName, "sleep 3600",
		"  tolerations:\n  - {key: node.kubernetes.io/memory-pressure, operator: Exists, effect: NoSchedule}\n"+noToken), "apply", "-n", ns, "-f", "-")

	const msg = "The node had condition: [MemoryPressure]. "
	err = eventually(ctx, 60*time.Second, func() error {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "besteffort", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != v1.PodFailed || p.Status.Reason != "Evicted" || p.Status.Message != "Pod was rejected: "+msg {
			return fmt.Errorf("besteffort is %s/%s: %q", p.Status.Phase, p.Status.Reason, p.Status.Message)
		}
		if len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].State.Running != nil {
			return errors.New("the rejected pod's container runs")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/burstable", "pod/tolerating", "--timeout=60s")
	err = eventually(ctx, 10*time.Second, func() error {
		ev := k.ok("get", "events", "-n", ns, "-o", `jsonpath={range .items[*]}{.type} {.reason} {.involvedObject.name} {.message}{"\n"}{end}`)
		if !strings.Contains(ev, "Warning Evicted besteffort "+msg+"\n") {
			return fmt.Errorf("no rejection event for besteffort in:\n%s", ev)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestRegistriesConfig pulls through the agent's registries.d (containerd
// hosts.toml per registry host) from a small OCI distribution registry
// this test serves over plain HTTP on loopback: once by the registry's own
// address, once through a mirror for a registry name that does not exist.
// A pod whose image is missing and whose pull policy is Never waits with
// ErrImageNeverPull.
func TestRegistriesConfig(t *testing.T) {
	c := startNode(t)
	reg := startRegistry(t)
	regHost := reg.addr
	regDir := filepath.Join(c.agentDir(), "registries.d")
	writeHostsTOML(t, regDir, regHost, fmt.Sprintf("server = \"http://%s\"\n\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\"]\n", regHost, regHost))
	const mirrored = "mirror.capstan.invalid"
	writeHostsTOML(t, regDir, mirrored, fmt.Sprintf("server = \"https://%s\"\n\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\"]\n", mirrored, regHost))

	k := newKubectl(t, c)
	ns := k.namespace("registries")
	pod := func(name, image, policy string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  nodeName: %s\n  terminationGracePeriodSeconds: 2\n"+
			"  automountServiceAccountToken: false\n  containers:\n  - name: main\n    image: %s\n    imagePullPolicy: %s\n    command: [\"sleep\", \"3600\"]\n", name, c.nodeName, image, policy)
	}
	k.okIn(pod("direct", regHost+"/test/busybox:1", "Always"), "apply", "-n", ns, "-f", "-")
	k.okIn(pod("mirrored", mirrored+"/test/busybox:1", "Always"), "apply", "-n", ns, "-f", "-")
	k.okIn(pod("never", regHost+"/test/missing:1", "Never"), "apply", "-n", ns, "-f", "-")
	k.ok("wait", "-n", ns, "--for=condition=Ready", "pod/direct", "pod/mirrored", "--timeout=90s")
	if n := reg.manifestRequests(); n < 2 {
		t.Errorf("registry served %d manifests, want one per pulled pod", n)
	}
	client := clientFor(t, c)
	ctx := context.Background()
	err := eventually(ctx, 30*time.Second, func() error {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "never", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cs := p.Status.ContainerStatuses
		if len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "ErrImageNeverPull" {
			return fmt.Errorf("never: container statuses %+v", cs)
		}
		want := fmt.Sprintf("Container image %q is not present with pull policy of Never", regHost+"/test/missing:1")
		if cs[0].State.Waiting.Message != want {
			return fmt.Errorf("never: message %q, want %q", cs[0].State.Waiting.Message, want)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if n := reg.requestsFor("/v2/test/missing/"); n != 0 {
		t.Errorf("pull policy Never reached the registry %d times", n)
	}
}

// writeHostsTOML writes dir/<host>/hosts.toml, the containerd registry
// host configuration the agent's containerd reads on every pull.
func writeHostsTOML(t *testing.T, dir, host, content string) {
	t.Helper()
	d := filepath.Join(dir, host)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "hosts.toml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// registry is a read-only OCI distribution registry serving one image,
// test/busybox:1, over plain HTTP on loopback.
type registry struct {
	addr     string
	manifest []byte
	digest   string            // of the manifest
	blobs    map[string][]byte // by digest

	mu       sync.Mutex
	requests []string
}

func startRegistry(t *testing.T) *registry {
	t.Helper()
	img, err := images.BuildBusyboxAs(t.TempDir(), images.BusyboxRef)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRegistry(img.Tar)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// newRegistry turns a single-layer docker-archive tar into an OCI image
// manifest and its blobs (the config and the uncompressed layer).
func newRegistry(archive string) (*registry, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", archive, err)
		}
		if h.Typeflag == tar.TypeReg {
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("read %s: %w", archive, err)
			}
		}
	}
	var dm []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(files["manifest.json"], &dm); err != nil || len(dm) != 1 || len(dm[0].Layers) != 1 {
		return nil, fmt.Errorf("%s: want one image of one layer (%v)", archive, err)
	}
	r := &registry{blobs: map[string][]byte{}}
	desc := func(mediaType string, data []byte) map[string]any {
		sum := sha256.Sum256(data)
		d := "sha256:" + hex.EncodeToString(sum[:])
		r.blobs[d] = data
		return map[string]any{"mediaType": mediaType, "digest": d, "size": len(data)}
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        desc("application/vnd.oci.image.config.v1+json", files[dm[0].Config]),
		"layers":        []any{desc("application/vnd.oci.image.layer.v1.tar", files[dm[0].Layers[0]])},
	}
	if r.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(r.manifest)
	r.digest = "sha256:" + hex.EncodeToString(sum[:])
	return r, nil
}

// ServeHTTP answers the pull side of the distribution API: /v2/, the
// manifest of test/busybox by tag 1 or by digest, and blobs by digest.
func (r *registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "read-only registry", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	var body []byte
	switch p := req.URL.Path; {
	case p == "/v2/" || p == "/v2":
		body = []byte("{}")
		w.Header().Set("Content-Type", "application/json")
	case p == "/v2/test/busybox/manifests/1" || p == "/v2/test/busybox/manifests/"+r.digest:
		body = r.manifest
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		w.Header().Set("Docker-Content-Digest", r.digest)
	case strings.HasPrefix(p, "/v2/test/busybox/blobs/") && r.blobs[strings.TrimPrefix(p, "/v2/test/busybox/blobs/")] != nil:
		d := strings.TrimPrefix(p, "/v2/test/busybox/blobs/")
		body = r.blobs[d]
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Docker-Content-Digest", d)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

func (r *registry) manifestRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.requests {
		if strings.Contains(q, "/manifests/") {
			n++
		}
	}
	return n
}

func (r *registry) requestsFor(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.requests {
		if strings.Contains(q, prefix) {
			n++
		}
	}
	return n
}
