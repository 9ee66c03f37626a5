package images

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	kimages "github.com/capstan/capstan/internal/kubelet/images"
)

// Image is a built test image.
type Image struct {
	// Ref is the image reference the archive declares.
	Ref string
	// Tar is the docker-archive path.
	Tar string
}

// Image references of the test images.
const (
	BusyboxRef = "capstan.local/test/busybox:1"
	ServerRef  = "capstan.local/test/server:1"
)

// BusyboxPath is where the host's static busybox is expected.
const BusyboxPath = "/bin/busybox"

// BusyboxApplets are linked to /bin/busybox in the busybox image.
func BusyboxApplets() []string {
	return []string{"sh", "sleep", "cat", "nc", "httpd", "ls", "echo", "env", "true", "false", "test",
		"mkdir", "rm", "touch", "grep", "head", "tail", "ps", "kill", "id", "hostname", "date",
		"printf", "wc", "mount", "df", "stat", "sed", "tee", "ip", "nslookup", "wget", "tar"}
}

// BuildBusybox writes the busybox image into dir: /bin/busybox from the host
// (it must be statically linked, as Debian's busybox-static is), symlinks for
// BusyboxApplets, /etc/passwd and /etc/group, and /tmp; entrypoint /bin/sh.
func BuildBusybox(dir string) (Image, error) { return BuildBusyboxAs(dir, BusyboxRef) }

// BuildBusyboxAs writes the busybox image under another reference (e.g. a
// second tag to roll a Deployment to).
func BuildBusyboxAs(dir, ref string) (Image, error) {
	bin, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return Image{}, fmt.Errorf("busybox test image: %w (apt-get install busybox-static)", err)
	}
	files := []kimages.File{
		{Path: "bin/busybox", Mode: 0o755, Data: bin},
		{Path: "etc/passwd", Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{Path: "etc/group", Data: []byte("root:x:0:\nnogroup:x:65534:\n")},
		{Path: "tmp", Dir: true, Mode: 0o1777},
		{Path: "root", Dir: true},
		{Path: "var/www", Dir: true},
	}
	for _, a := range BusyboxApplets() {
		files = append(files, kimages.File{Path: "bin/" + a, Symlink: "busybox"})
	}
	name := strings.NewReplacer("/", "_", ":", "_").Replace(ref) + ".tar"
	return writeImage(dir, name, ref, files, []string{"/bin/sh"})
}

// BuildServer compiles server/ (static, CGO_ENABLED=0) and writes the server
// image into dir; entrypoint /server.
func BuildServer(ctx context.Context, dir string) (Image, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return Image{}, fmt.Errorf("server test image: cannot locate source")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "server-bin")
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = filepath.Join(filepath.Dir(self), "server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Image{}, fmt.Errorf("server test image: go build: %w: %s", err, stderr.String())
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return Image{}, fmt.Errorf("server test image: %w", err)
	}
	files := []kimages.File{{Path: "server", Mode: 0o755, Data: bin}, {Path: "tmp", Dir: true, Mode: 0o1777}}
	return writeImage(dir, "server.tar", ServerRef, files, []string{"/server"})
}

func writeImage(dir, name, ref string, files []kimages.File, entrypoint []string) (Image, error) {
	var buf bytes.Buffer
	if err := kimages.WriteDockerArchive(&buf, ref, files, entrypoint); err != nil {
		return Image{}, err
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		return Image{}, fmt.Errorf("write test image %s: %w", ref, err)
	}
	return Image{Ref: ref, Tar: p}, nil
}
