package images

import (
	"context"
	"os"
	"testing"

	kimages "github.com/capstan/capstan/internal/kubelet/images"
)

func TestBuildImages(t *testing.T) {
	dir := t.TempDir()
	build := []struct {
		name string
		fn   func() (Image, error)
		ref  string
	}{
		{"busybox", func() (Image, error) { return BuildBusybox(dir) }, BusyboxRef},
		{"server", func() (Image, error) { return BuildServer(context.Background(), dir) }, ServerRef},
	}
	for _, b := range build {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "busybox" {
				if _, err := os.Stat(BusyboxPath); err != nil {
					t.Skip("busybox-static not installed")
				}
			}
			img, err := b.fn()
			if err != nil {
				t.Fatal(err)
			}
			a, err := kimages.Inspect(img.Tar)
			if err != nil {
				t.Fatal(err)
			}
			if img.Ref != b.ref || a.Format != kimages.FormatDockerArchive || len(a.Refs) != 1 || a.Refs[0] != b.ref {
				t.Fatalf("image %+v, archive %+v", img, a)
			}
		})
	}
}
