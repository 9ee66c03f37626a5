package images

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"
)

// File is one entry of an image layer built by WriteDockerArchive.
type File struct {
	// Path inside the image, relative to / ("bin/sh"). Parent directories
	// are created implicitly.
	Path string
	// Mode holds the permission bits; 0 means 0644 (0755 for directories).
	Mode int64
	// Data is the content of a regular file.
	Data []byte
	// Symlink, if set, makes the entry a symbolic link to this target.
	Symlink string
	// Dir makes the entry an (empty) directory.
	Dir bool
}

// epoch is the timestamp of every entry, so archives are reproducible.
func epoch() time.Time { return time.Unix(0, 0).UTC() }

// WriteDockerArchive writes a single-layer image named ref as a docker-archive
// tar (manifest.json, config, one uncompressed layer) to w. entrypoint is the
// image's Entrypoint; PATH is set to the usual directories. The output depends
// only on the arguments and GOARCH.
func WriteDockerArchive(w io.Writer, ref string, files []File, entrypoint []string) error {
	if ref == "" {
		return fmt.Errorf("write docker archive: empty image reference")
	}
	layer, err := buildLayer(files)
	if err != nil {
		return fmt.Errorf("write docker archive %s: %w", ref, err)
	}
	layerSum := sha256.Sum256(layer)
	layerID := hex.EncodeToString(layerSum[:])
	config, err := json.Marshal(imageConfig(layerID, entrypoint))
	if err != nil {
		return fmt.Errorf("write docker archive %s: encode config: %w", ref, err)
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	layerName := layerID + "/layer.tar"
	manifest, err := json.Marshal([]dockerManifest{{Config: configName, RepoTags: []string{ref}, Layers: []string{layerName}}})
	if err != nil {
		return fmt.Errorf("write docker archive %s: encode manifest: %w", ref, err)
	}
	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		data []byte
	}{{configName, config}, {layerName, layer}, {dockerManifestFile, manifest}}
	if err := writeDirHeader(tw, layerID, 0o755); err != nil {
		return fmt.Errorf("write docker archive %s: %w", ref, err)
	}
	for _, e := range entries {
		if err := writeFile(tw, e.name, 0o644, e.data); err != nil {
			return fmt.Errorf("write docker archive %s: %w", ref, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write docker archive %s: %w", ref, err)
	}
	return nil
}

const dockerManifestFile = "manifest.json"

type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func imageConfig(layerID string, entrypoint []string) map[string]any {
	return map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      epoch().Format(time.RFC3339),
		"config": map[string]any{
			"Entrypoint": entrypoint,
			"Env":        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
		"history": []map[string]any{{"created": epoch().Format(time.RFC3339), "created_by": "capstan"}},
	}
}

// buildLayer returns the layer tar: implicit parent directories first, then
// the entries sorted by path.
func buildLayer(files []File) ([]byte, error) {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, f := range sorted {
		p := strings.TrimPrefix(path.Clean("/"+f.Path), "/")
		if p == "" {
			return nil, fmt.Errorf("layer entry %q: empty path", f.Path)
		}
		for _, d := range parents(p) {
			if !dirs[d] {
				dirs[d] = true
				if err := writeDirHeader(tw, d, 0o755); err != nil {
					return nil, err
				}
			}
		}
		if err := writeEntry(tw, p, f, dirs); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close layer: %w", err)
	}
	return buf.Bytes(), nil
}

func writeEntry(tw *tar.Writer, p string, f File, dirs map[string]bool) error {
	switch {
	case f.Dir:
		if dirs[p] {
			return nil
		}
		dirs[p] = true
		mode := f.Mode
		if mode == 0 {
			mode = 0o755
		}
		return writeDirHeader(tw, p, mode)
	case f.Symlink != "":
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: p, Linkname: f.Symlink, Mode: 0o777, ModTime: epoch(), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("layer entry %s: %w", p, err)
		}
		return nil
	default:
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		return writeFile(tw, p, mode, f.Data)
	}
}

// parents lists the ancestors of p, outermost first ("a/b/c" → a, a/b).
func parents(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

func writeDirHeader(tw *tar.Writer, name string, mode int64) error {
	h := &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: epoch(), Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("tar entry %s: %w", name, err)
	}
	return nil
}

func writeFile(tw *tar.Writer, name string, mode int64, data []byte) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch(), Format: tar.FormatPAX}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("tar entry %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("tar entry %s: %w", name, err)
	}
	return nil
}
