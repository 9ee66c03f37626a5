package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// PauseImage is the reference of the built-in sandbox image; containerd's
// sandbox_image must name it.
const PauseImage = "capstan.local/pause:3.10"

// WritePauseArchive writes the pause image as a docker-archive tar: one file,
// /pause, which is also the entrypoint.
func WritePauseArchive(w io.Writer) error {
	bin, err := pauseBinary()
	if err != nil {
		return err
	}
	return WriteDockerArchive(w, PauseImage, []File{{Path: "pause", Mode: 0o755, Data: bin}}, []string{"/pause"})
}

// EnsurePause imports the pause image into the containerd at endpoint unless
// the CRI image service already has it. The archive is written to workDir.
func EnsurePause(ctx context.Context, is internalapi.ImageManagerService, endpoint, workDir string) error {
	present, err := hasImage(ctx, is, PauseImage)
	if err != nil || present {
		return err
	}
	var buf bytes.Buffer
	if err := WritePauseArchive(&buf); err != nil {
		return err
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return fmt.Errorf("ensure pause image: %w", err)
	}
	tarPath := filepath.Join(workDir, "pause.tar")
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("ensure pause image: %w", err)
	}
	defer os.Remove(tarPath)
	if _, err := Import(ctx, endpoint, tarPath); err != nil {
		return fmt.Errorf("ensure pause image: %w", err)
	}
	present, err = hasImage(ctx, is, PauseImage)
	if err != nil {
		return err
	}
	if !present {
		return fmt.Errorf("ensure pause image: %s imported but the CRI image service does not report it", PauseImage)
	}
	return nil
}

func hasImage(ctx context.Context, is internalapi.ImageManagerService, ref string) (bool, error) {
	resp, err := is.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: ref}, false)
	if err != nil {
		return false, fmt.Errorf("image status %s: %w", ref, err)
	}
	return resp.GetImage() != nil, nil
}
