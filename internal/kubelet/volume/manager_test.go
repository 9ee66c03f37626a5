package volume

import (
	"bufio"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

func bufioScanner(s string) *bufio.Scanner { return bufio.NewScanner(strings.NewReader(s)) }

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount tmpfs")
	}
}

type harness struct {
	m      *Manager
	client *fake.Clientset
	clock  *testingclock.FakeClock
	root   string
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objs...)
	clk := testingclock.NewFakeClock(time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC))
	root := t.TempDir()
	m := NewManager(Options{
		Client: client, RootDir: root, Clock: clk, NodeName: "n1",
		Log:         slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Allocatable: v1.ResourceList{v1.ResourceMemory: resource.MustParse("1Gi"), v1.ResourceCPU: resource.MustParse("2")},
	})
	t.Cleanup(func() {
		// Never leave a mount behind, whatever the test did.
		_ = unmountAll(root)
	})
	return &harness{m: m, client: client, clock: clk, root: root}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testPod(vols ...v1.Volume) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-1", Labels: map[string]string{"app": "web"}},
		Spec:       v1.PodSpec{Volumes: vols, Containers: []v1.Container{{Name: "c"}}},
	}
}

func mountType(t *testing.T, dir string) string {
	t.Helper()
	mps, err := mountPoints()
	if err != nil {
		t.Fatal(err)
	}
	return mps[dir]
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSetUpAndTearDown(t *testing.T) {
	requireRoot(t)
	h := newHarness(t,
		&v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "ns"}, Data: map[string]string{"k": "v", "other": "o"}},
		&v1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec", Namespace: "ns"}, Data: map[string][]byte{"pw": []byte("hunter2")}},
	)
	hostDir := t.TempDir()
	pod := testPod(
		v1.Volume{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
		v1.Volume{Name: "mem", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumMemory, SizeLimit: ptr.To(resource.MustParse("8Mi"))}}},
		v1.Volume{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: hostDir, Type: ptr.To(v1.HostPathDirectory)}}},
		v1.Volume{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{
			LocalObjectReference: v1.LocalObjectReference{Name: "cfg"},
			Items:                []v1.KeyToPath{{Key: "k", Path: "conf/k.txt", Mode: ptr.To[int32](0o600)}},
		}}},
		v1.Volume{Name: "sec", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "sec", DefaultMode: ptr.To[int32](0o400)}}},
		v1.Volume{Name: "info", VolumeSource: v1.VolumeSource{DownwardAPI: &v1.DownwardAPIVolumeSource{Items: []v1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		}}}},
	)
	ctx := context.Background()
	paths, err := h.m.SetUp(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	vols := filepath.Join(h.root, "pods", "uid-1", "volumes")
	want := map[string]string{
		"scratch": filepath.Join(vols, "kubernetes.io~empty-dir/scratch"),
		"mem":     filepath.Join(vols, "kubernetes.io~empty-dir/mem"),
		"host":    hostDir,
		"cfg":     filepath.Join(vols, "kubernetes.io~configmap/cfg"),
		"sec":     filepath.Join(vols, "kubernetes.io~secret/sec"),
		"info":    filepath.Join(vols, "kubernetes.io~downward-api/info"),
	}
	for name, p := range want {
		if paths[name] != p {
			t.Errorf("path of %s = %q, want %q", name, paths[name], p)
		}
	}
	if got := mountType(t, want["mem"]); got != "tmpfs" {
		t.Errorf("memory emptyDir mount = %q, want tmpfs", got)
	}
	if got := mountType(t, want["sec"]); got != "tmpfs" {
		t.Errorf("secret volume mount = %q, want tmpfs", got)
	}
	for _, disk := range []string{"scratch", "cfg", "info"} {
		if got := mountType(t, want[disk]); got != "" {
			t.Errorf("%s is mounted (%s), want plain directory", disk, got)
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(want["mem"], &st); err != nil || st.Blocks*uint64(st.Bsize) != 8<<20 {
		t.Errorf("tmpfs size = %d blocks of %d (%v), want 8Mi", st.Blocks, st.Bsize, err)
	}
	// Without sizeLimit a memory-backed volume gets the node's allocatable memory.
	if err := syscall.Statfs(want["sec"], &st); err != nil || st.Blocks*uint64(st.Bsize) != 1<<30 {
		t.Errorf("secret tmpfs size = %d blocks of %d (%v), want 1Gi", st.Blocks, st.Bsize, err)
	}
	if got := readFile(t, filepath.Join(want["cfg"], "conf/k.txt")); got != "v" {
		t.Errorf("configmap item = %q", got)
	}
	if _, err := os.Lstat(filepath.Join(want["cfg"], "other")); !os.IsNotExist(err) {
		t.Errorf("unlisted key projected: %v", err)
	}
	info, _ := os.Stat(filepath.Join(want["cfg"], "conf/k.txt"))
	if info.Mode().Perm() != 0o600 {
		t.Errorf("item mode = %v", info.Mode())
	}
	info, _ = os.Stat(filepath.Join(want["sec"], "pw"))
	if got := readFile(t, filepath.Join(want["sec"], "pw")); got != "hunter2" || info.Mode().Perm() != 0o400 {
		t.Errorf("secret = %q mode %v", got, info.Mode())
	}
	if got := readFile(t, filepath.Join(want["info"], "labels")); got != `app="web"` {
		t.Errorf("labels = %q", got)
	}
	if _, err := h.m.SetUp(ctx, pod); err != nil {
		t.Fatalf("second SetUp: %v", err)
	}
	if err := h.m.TearDown(ctx, pod.UID); err != nil {
		t.Fatal(err)
	}
	if left, _ := mountsUnder(h.root); len(left) != 0 {
		t.Fatalf("mounts left after TearDown: %v", left)
	}
	if _, err := os.Stat(filepath.Join(h.root, "pods", "uid-1")); !os.IsNotExist(err) {
		t.Fatalf("pod dir left after TearDown: %v", err)
	}
	if _, err := os.Stat(hostDir); err != nil {
		t.Fatalf("TearDown touched the hostPath: %v", err)
	}
	if err := h.m.TearDown(ctx, pod.UID); err != nil {
		t.Fatalf("second TearDown: %v", err)
	}
}

func TestSetUpErrors(t *testing.T) {
	requireRoot(t)
	h := newHarness(t,
		&v1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "ns"}},
	)
	tests := []struct {
		name string
		vol  v1.Volume
		want string
	}{
		{name: "configmap missing", vol: v1.Volume{Name: "c", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "x"}}}},
			want: `MountVolume.SetUp failed for volume "c" : configmap "x" not found`},
		{name: "secret missing", vol: v1.Volume{Name: "s", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "y"}}},
			want: `MountVolume.SetUp failed for volume "s" : secret "y" not found`},
		{name: "pvc unbound", vol: v1.Volume{Name: "d", VolumeSource: v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: "pending"}}},
			want: `MountVolume.SetUp failed for volume "d" : persistentvolumeclaim "pending" is not bound`},
		{name: "hostpath type", vol: v1.Volume{Name: "h", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/nonexistent-capstan", Type: ptr.To(v1.HostPathFile)}}},
			want: `MountVolume.SetUp failed for volume "h" : hostPath type check failed: /nonexistent-capstan is not a file`},
		{name: "token api missing", vol: v1.Volume{Name: "t", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token"}}}}}},
			want: `MountVolume.SetUp failed for volume "t" : failed to fetch token: create is not supported on resources of kind "serviceaccounts/token"`},
	}
	h.client.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "serviceaccounts/token"}, "create")
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.m.SetUp(context.Background(), testPod(tt.vol))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
	if err := h.m.TearDown(context.Background(), "uid-1"); err != nil {
		t.Fatal(err)
	}
}

func TestPersistentVolumeClaimHostPath(t *testing.T) {
	dir := t.TempDir()
	pvc := &v1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "ns", UID: "pvc-uid"},
		Spec:       v1.PersistentVolumeClaimSpec{VolumeName: "pv1"},
		Status:     v1.PersistentVolumeClaimStatus{Phase: v1.ClaimBound},
	}
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv1"},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeSource: v1.PersistentVolumeSource{HostPath: &v1.HostPathVolumeSource{Path: dir}},
			ClaimRef:               &v1.ObjectReference{Namespace: "ns", Name: "data", UID: "pvc-uid"},
		},
	}
	local := pv.DeepCopy()
	local.Spec.PersistentVolumeSource = v1.PersistentVolumeSource{Local: &v1.LocalVolumeSource{Path: dir}}
	wrongClaim := pv.DeepCopy()
	wrongClaim.Spec.ClaimRef.UID = "someone-else"
	tests := []struct {
		name    string
		pv      *v1.PersistentVolume
		want    string
		wantErr string
	}{
		{name: "hostPath", pv: pv, want: dir},
		{name: "local", pv: local, want: dir},
		{name: "claimed by another", pv: wrongClaim, wantErr: `persistentvolume "pv1" is not bound to persistentvolumeclaim "data"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, pvc, tt.pv)
			got, err := h.m.claimPath(context.Background(), "ns", "data")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestProjectedTokenAndRefresh(t *testing.T) {
	requireRoot(t)
	h := newHarness(t,
		&v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "ns"}, Data: map[string]string{"k": "v1"}},
	)
	var requests []*authenticationv1.TokenRequest
	h.client.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		req := a.(k8stesting.CreateAction).GetObject().(*authenticationv1.TokenRequest)
		requests = append(requests, req)
		out := req.DeepCopy()
		out.Status.Token = "token-" + string(rune('0'+len(requests)))
		return true, out, nil
	})
	pod := testPod(
		v1.Volume{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}}},
		v1.Volume{Name: "sa", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token", Audience: "api", ExpirationSeconds: ptr.To[int64](3600)}},
			{DownwardAPI: &v1.DownwardAPIProjection{Items: []v1.DownwardAPIVolumeFile{{Path: "labels", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}},
		}}}},
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	paths, err := h.m.SetUp(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.TearDown(context.Background(), pod.UID) })
	if got := mountType(t, paths["sa"]); got != "tmpfs" {
		t.Errorf("projected volume mount = %q, want tmpfs", got)
	}
	if len(requests) != 1 {
		t.Fatalf("token requests = %d", len(requests))
	}
	spec := requests[0].Spec
	if spec.Audiences[0] != "api" || *spec.ExpirationSeconds != 3600 || spec.BoundObjectRef.Kind != "Pod" || spec.BoundObjectRef.UID != "uid-1" {
		t.Fatalf("token request spec = %+v", spec)
	}
	if got := readFile(t, filepath.Join(paths["sa"], "token")); got != "token-1" {
		t.Fatalf("token = %q", got)
	}
	oldData := readLinkOrEmpty(filepath.Join(paths["cfg"], "..data"))

	// The ConfigMap and the pod's labels change; Run notices after a period.
	cm, _ := h.client.CoreV1().ConfigMaps("ns").Get(ctx, "cfg", metav1.GetOptions{})
	cm.Data["k"] = "v2"
	if _, err := h.client.CoreV1().ConfigMaps("ns").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	relabelled := pod.DeepCopy()
	relabelled.Labels["tier"] = "front"
	h.m.UpdatePod(relabelled)

	done := make(chan struct{})
	go func() { h.m.Run(ctx); close(done) }()
	waitFor(t, func() bool { return h.clock.HasWaiters() })
	h.clock.Step(DefaultRefreshPeriod)
	waitFor(t, func() bool { return readFileOrEmpty(filepath.Join(paths["cfg"], "k")) == "v2" })
	waitFor(t, func() bool {
		return readFileOrEmpty(filepath.Join(paths["sa"], "labels")) == "app=\"web\"\ntier=\"front\""
	})
	if newData := readLinkOrEmpty(filepath.Join(paths["cfg"], "..data")); newData == oldData {
		t.Fatal("..data was not swapped")
	}
	if len(requests) != 1 {
		t.Fatalf("token re-requested before 80%% of its lifetime: %d requests", len(requests))
	}
	// 80% of an hour later the token is renewed on the next refresh.
	h.clock.Step(48 * time.Minute)
	h.m.Refresh(ctx)
	if got := readFile(t, filepath.Join(paths["sa"], "token")); got != "token-2" {
		t.Fatalf("token after renewal = %q", got)
	}
	cancel()
	<-done
}

func TestFSGroupOwnership(t *testing.T) {
	requireRoot(t)
	h := newHarness(t, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "ns"}, Data: map[string]string{"k": "v"}})
	pod := testPod(
		v1.Volume{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
		v1.Volume{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{
			LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr.To[int32](0o600)}}},
	)
	pod.Spec.SecurityContext = &v1.PodSecurityContext{FSGroup: ptr.To[int64](1234)}
	paths, err := h.m.SetUp(context.Background(), pod)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.TearDown(context.Background(), pod.UID) })
	tests := []struct {
		path string
		mode fs.FileMode
	}{
		{path: paths["scratch"], mode: fs.ModeDir | fs.ModeSetgid | 0o777},
		{path: filepath.Join(paths["cfg"], "k"), mode: 0o640},
	}
	for _, tt := range tests {
		info, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		gid := info.Sys().(*syscall.Stat_t).Gid
		if gid != 1234 || info.Mode() != tt.mode {
			t.Errorf("%s: gid %d mode %v, want gid 1234 mode %v", tt.path, gid, info.Mode(), tt.mode)
		}
	}
	// A refresh with unchanged data must not rewrite because of the group bits.
	before := readLinkOrEmpty(filepath.Join(paths["cfg"], "..data"))
	h.m.Refresh(context.Background())
	if after := readLinkOrEmpty(filepath.Join(paths["cfg"], "..data")); after != before {
		t.Fatalf("unchanged configmap rewritten: %s -> %s", before, after)
	}
}

func readLinkOrEmpty(p string) string {
	s, _ := os.Readlink(p)
	return s
}

func readFileOrEmpty(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// waitFor polls cond for up to 10 seconds: it synchronises with the Run
// goroutine, it does not wait for time to pass.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
