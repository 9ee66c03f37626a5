package images

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
)

// Archive formats recognised by Inspect.
const (
	FormatDockerArchive = "docker-archive"
	FormatOCILayout     = "oci-layout"
)

// Archive describes an image tar.
type Archive struct {
	// Format is FormatDockerArchive or FormatOCILayout.
	Format string
	// Refs are the image names the archive declares (RepoTags of a
	// docker-archive; io.containerd.image.name or
	// org.opencontainers.image.ref.name annotations of an OCI index).
	Refs []string
}

// Inspect reads the tar at p (optionally gzip-compressed) and says which
// kind of image archive it is. A file that is not a tar, or a tar that is
// neither a docker-archive nor an OCI layout, gives an error saying so.
func Inspect(p string) (Archive, error) {
	f, err := os.Open(p)
	if err != nil {
		return Archive{}, fmt.Errorf("image archive: %w", err)
	}
	defer f.Close()
	a, err := inspectStream(f)
	if err != nil {
		return Archive{}, fmt.Errorf("image archive %s: %w", p, err)
	}
	return a, nil
}

func inspectStream(r io.Reader) (Archive, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return Archive{}, fmt.Errorf("not a valid gzip stream: %w", err)
		}
		defer zr.Close()
		return inspectTar(zr)
	}
	return inspectTar(br)
}

func inspectTar(r io.Reader) (Archive, error) {
	tr := tar.NewReader(r)
	var manifest, index []byte
	var layout, sawEntry bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !sawEntry {
				return Archive{}, fmt.Errorf("not a tar file: %w", err)
			}
			return Archive{}, fmt.Errorf("truncated or corrupt tar: %w", err)
		}
		sawEntry = true
		switch path.Clean(h.Name) {
		case dockerManifestFile:
			manifest, err = io.ReadAll(io.LimitReader(tr, 1<<20))
		case "index.json":
			index, err = io.ReadAll(io.LimitReader(tr, 1<<20))
		case "oci-layout":
			layout = true
		}
		if err != nil {
			return Archive{}, fmt.Errorf("read %s: %w", h.Name, err)
		}
	}
	switch {
	case manifest != nil:
		return parseDockerManifest(manifest)
	case layout && index != nil:
		return parseOCIIndex(index)
	case !sawEntry:
		return Archive{}, errors.New("empty or not a tar file")
	default:
		return Archive{}, errors.New("neither a docker-archive (no manifest.json) nor an OCI image layout (no oci-layout and index.json)")
	}
}

func parseDockerManifest(data []byte) (Archive, error) {
	var ms []dockerManifest
	if err := json.Unmarshal(data, &ms); err != nil {
		return Archive{}, fmt.Errorf("docker-archive manifest.json: %w", err)
	}
	if len(ms) == 0 {
		return Archive{}, errors.New("docker-archive manifest.json lists no image")
	}
	a := Archive{Format: FormatDockerArchive}
	for _, m := range ms {
		if m.Config == "" || len(m.Layers) == 0 {
			return Archive{}, errors.New("docker-archive manifest.json: image without config or layers")
		}
		a.Refs = append(a.Refs, m.RepoTags...)
	}
	sort.Strings(a.Refs)
	return a, nil
}

func parseOCIIndex(data []byte) (Archive, error) {
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return Archive{}, fmt.Errorf("OCI layout index.json: %w", err)
	}
	if len(idx.Manifests) == 0 {
		return Archive{}, errors.New("OCI layout index.json lists no manifest")
	}
	a := Archive{Format: FormatOCILayout}
	for _, m := range idx.Manifests {
		if n := m.Annotations["io.containerd.image.name"]; n != "" {
			a.Refs = append(a.Refs, n)
		} else if n := m.Annotations["org.opencontainers.image.ref.name"]; n != "" {
			a.Refs = append(a.Refs, n)
		}
	}
	sort.Strings(a.Refs)
	return a, nil
}
