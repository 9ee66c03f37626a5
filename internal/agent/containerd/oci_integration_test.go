package containerd_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/capstan/capstan/internal/kubelet/images"
)

// writeOCILayout writes a one-layer image named ref as an OCI image layout tar.
func writeOCILayout(t *testing.T, p, ref string) {
	t.Helper()
	var layer bytes.Buffer
	lw := tar.NewWriter(&layer)
	lw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 5, Typeflag: tar.TypeReg})
	lw.Write([]byte("hello"))
	lw.Close()
	blobs := map[string][]byte{}
	add := func(data []byte) (string, int) {
		sum := sha256.Sum256(data)
		d := "sha256:" + hex.EncodeToString(sum[:])
		blobs["blobs/sha256/"+hex.EncodeToString(sum[:])] = data
		return d, len(data)
	}
	layerDigest, layerSize := add(layer.Bytes())
	config, _ := json.Marshal(map[string]any{"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Cmd": []string{"/hello.txt"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}}})
	configDigest, configSize := add(config)
	manifest, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": configSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layerSize}}})
	manifestDigest, manifestSize := add(manifest)
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest, "size": manifestSize,
		"annotations": map[string]string{"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": "1"}}}})
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	files := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": index}
	for k, v := range blobs {
		files[k] = v
	}
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportOCILayout(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	const ref = "capstan.local/test/oci:1"
	p := filepath.Join(t.TempDir(), "oci.tar")
	writeOCILayout(t, p, ref)
	a, err := images.Import(ctx, n.proc.Endpoint(), p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Format != images.FormatOCILayout {
		t.Fatalf("format = %s", a.Format)
	}
	st, err := n.is.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: ref}, false)
	if err != nil || st.GetImage() == nil {
		t.Fatalf("CRI does not report %s after import: %v", ref, err)
	}
}
