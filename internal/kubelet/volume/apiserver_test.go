package volume_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/kubelet/volume"
)

// TestAgainstAPIServer resolves a PVC bound to a hostPath PV and projects a
// ConfigMap through a real API server; a projected token either arrives or
// fails with the clear "failed to fetch token" message.
func TestAgainstAPIServer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount tmpfs")
	}
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	ctx := context.Background()
	hostDir := t.TempDir()
	mustCreate := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = client.CoreV1().ConfigMaps("ns").Create(ctx, &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
	mustCreate(err)
	pvc, err := client.CoreV1().PersistentVolumeClaims("ns").Create(ctx, &v1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: v1.PersistentVolumeClaimSpec{
			AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
			VolumeName:  "pv1",
			Resources:   v1.VolumeResourceRequirements{Requests: v1.ResourceList{v1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}, metav1.CreateOptions{})
	mustCreate(err)
	_, err = client.CoreV1().PersistentVolumes().Create(ctx, &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv1"},
		Spec: v1.PersistentVolumeSpec{
			AccessModes:            []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
			Capacity:               v1.ResourceList{v1.ResourceStorage: resource.MustParse("1Gi")},
			PersistentVolumeSource: v1.PersistentVolumeSource{HostPath: &v1.HostPathVolumeSource{Path: hostDir}},
			ClaimRef:               &v1.ObjectReference{Namespace: "ns", Name: "data", UID: pvc.UID},
		},
	}, metav1.CreateOptions{})
	mustCreate(err)

	m := volume.NewManager(volume.Options{Client: client, RootDir: t.TempDir(), NodeName: "n1"})
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "uid-api"},
		Spec: v1.PodSpec{Volumes: []v1.Volume{
			{Name: "data", VolumeSource: v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "cfg"}}}},
		}},
	}
	t.Cleanup(func() {
		if err := m.TearDown(context.Background(), pod.UID); err != nil {
			t.Error(err)
		}
	})
	if _, err := m.SetUp(ctx, pod); err == nil || !strings.Contains(err.Error(), `persistentvolumeclaim "data" is not bound`) {
		t.Fatalf("SetUp with a pending claim: %v", err)
	}
	pvc.Status.Phase = v1.ClaimBound
	_, err = client.CoreV1().PersistentVolumeClaims("ns").UpdateStatus(ctx, pvc, metav1.UpdateOptions{})
	mustCreate(err)
	paths, err := m.SetUp(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	if paths["data"] != hostDir {
		t.Fatalf("claim path %q, want %q", paths["data"], hostDir)
	}
	if b, err := os.ReadFile(filepath.Join(paths["cfg"], "k")); err != nil || string(b) != "v" {
		t.Fatalf("configmap file %q, %v", b, err)
	}

	tokenPod := pod.DeepCopy()
	tokenPod.UID = "uid-token"
	tokenPod.Spec.Volumes = []v1.Volume{{Name: "sa", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{
		Sources: []v1.VolumeProjection{{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token"}}},
	}}}}
	t.Cleanup(func() { _ = m.TearDown(context.Background(), tokenPod.UID) })
	paths, err = m.SetUp(ctx, tokenPod)
	switch {
	case err != nil && !strings.Contains(err.Error(), `MountVolume.SetUp failed for volume "sa" : failed to fetch token: `):
		t.Fatalf("token error is not clear: %v", err)
	case err != nil:
		t.Logf("TokenRequest not available: %v", err)
	default:
		if b, _ := os.ReadFile(filepath.Join(paths["sa"], "token")); len(b) == 0 {
			t.Fatal("empty token")
		}
	}
}
