package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readTar maps entry names to contents.
func readTar(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
}

func TestWriteDockerArchive(t *testing.T) {
	files := []File{
		{Path: "bin/sh", Symlink: "busybox"},
		{Path: "bin/busybox", Mode: 0o755, Data: []byte("elf")},
		{Path: "tmp", Dir: true, Mode: 0o1777},
	}
	var a, b bytes.Buffer
	if err := WriteDockerArchive(&a, "example.test/x:1", files, []string{"/bin/sh"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteDockerArchive(&b, "example.test/x:1", files, []string{"/bin/sh"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("archive is not deterministic")
	}
	entries := readTar(t, a.Bytes())
	var m []dockerManifest
	if err := json.Unmarshal(entries["manifest.json"], &m); err != nil || len(m) != 1 {
		t.Fatalf("manifest.json: %v %s", err, entries["manifest.json"])
	}
	if m[0].RepoTags[0] != "example.test/x:1" {
		t.Fatalf("RepoTags = %v", m[0].RepoTags)
	}
	var cfg struct {
		Architecture, OS string
		Config           struct{ Entrypoint []string }
		RootFS           struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(entries[m[0].Config], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != runtime.GOARCH || cfg.OS != "linux" || cfg.Config.Entrypoint[0] != "/bin/sh" ||
		cfg.RootFS.DiffIDs[0] != "sha256:"+strings.TrimSuffix(m[0].Layers[0], "/layer.tar") {
		t.Fatalf("config = %+v", cfg)
	}
	layer := readTar(t, entries[m[0].Layers[0]])
	for _, name := range []string{"bin/", "bin/busybox", "bin/sh", "tmp/"} {
		if _, ok := layer[name]; !ok {
			t.Errorf("layer lacks %s (has %v)", name, keys(layer))
		}
	}
	if string(layer["bin/busybox"]) != "elf" {
		t.Errorf("bin/busybox content = %q", layer["bin/busybox"])
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func tarOf(t *testing.T, entries map[string]string, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for name, data := range entries {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func TestInspect(t *testing.T) {
	var docker bytes.Buffer
	if err := WriteDockerArchive(&docker, "capstan.local/a:1", []File{{Path: "a", Data: []byte("x")}}, nil); err != nil {
		t.Fatal(err)
	}
	oci := map[string]string{"oci-layout": `{"imageLayoutVersion":"1.0.0"}`,
		"index.json": `{"manifests":[{"annotations":{"io.containerd.image.name":"capstan.local/b:2"}}]}`}
	tests := []struct {
		name, wantErr, wantFormat, wantRef string
		data                               []byte
	}{
		{name: "docker", data: docker.Bytes(), wantFormat: FormatDockerArchive, wantRef: "capstan.local/a:1"},
		{name: "oci", data: tarOf(t, oci, false), wantFormat: FormatOCILayout, wantRef: "capstan.local/b:2"},
		{name: "oci-gzip", data: tarOf(t, oci, true), wantFormat: FormatOCILayout, wantRef: "capstan.local/b:2"},
		{name: "text", data: []byte("this is not a tar file at all, just some words\n"), wantErr: "not a tar file"},
		{name: "empty", data: nil, wantErr: "empty or not a tar file"},
		{name: "other-tar", data: tarOf(t, map[string]string{"README": "hi"}, false), wantErr: "neither a docker-archive"},
		{name: "bad-manifest", data: tarOf(t, map[string]string{"manifest.json": "{"}, false), wantErr: "manifest.json"},
		{name: "truncated", data: docker.Bytes()[:1000], wantErr: "corrupt tar"},
		{name: "bad-gzip", data: []byte{0x1f, 0x8b, 0, 0}, wantErr: "gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.name+".tar")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			a, err := Inspect(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err = %v, want %q naming the file", err, tc.wantErr)
				}
				return
			}
			if err != nil || a.Format != tc.wantFormat || len(a.Refs) != 1 || a.Refs[0] != tc.wantRef {
				t.Fatalf("Inspect = %+v, %v", a, err)
			}
		})
	}
}

func TestImportRejectsMalformedTarBeforeContainerd(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.tar")
	if err := os.WriteFile(p, []byte("garbage garbage garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Import(context.Background(), "unix:///nonexistent.sock", p)
	if err == nil || !strings.Contains(err.Error(), "not a tar file") {
		t.Fatalf("err = %v", err)
	}
}

func TestPauseArchive(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePauseArchive(&buf); err != nil {
		t.Fatal(err)
	}
	a, err := inspectStream(&buf)
	if err != nil || a.Refs[0] != PauseImage {
		t.Fatalf("pause archive: %+v, %v", a, err)
	}
}

// TestPauseProgram runs the embedded pause binary: it must keep running and
// exit 0 on SIGTERM and on SIGINT.
func TestPauseProgram(t *testing.T) {
	bin, err := pauseBinary()
	if err != nil {
		t.Skip(err)
	}
	p := filepath.Join(t.TempDir(), "pause")
	if err := os.WriteFile(p, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("pause exited on its own: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Errorf("after %v: %v, want exit 0", sig, err)
		}
	}
}
