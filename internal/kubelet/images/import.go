package images

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Namespace is the containerd namespace the CRI plugin keeps images in.
const Namespace = "k8s.io"

// Import checks that tarPath is a docker-archive or OCI-layout tar and
// imports (and unpacks) it into the containerd at endpoint (unix://… or a
// socket path), namespace k8s.io, by running `ctr images import`. It returns
// what the archive declared. This is the whole of `capstan images import`.
func Import(ctx context.Context, endpoint, tarPath string) (Archive, error) {
	a, err := Inspect(tarPath)
	if err != nil {
		return Archive{}, err
	}
	ctr, err := exec.LookPath("ctr")
	if err != nil {
		return Archive{}, fmt.Errorf("import %s: ctr (shipped with containerd) not found in PATH: install containerd", tarPath)
	}
	address := strings.TrimPrefix(endpoint, "unix://")
	cmd := exec.CommandContext(ctx, ctr, "--address", address, "--namespace", Namespace,
		"images", "import", "--no-unpack=false", tarPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Archive{}, fmt.Errorf("import %s (%s) into containerd %s: %w: %s", tarPath, a.Format, address, err,
			strings.TrimSpace(out.String()))
	}
	return a, nil
}
