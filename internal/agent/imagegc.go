package agent

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"

	internalapi "k8s.io/cri-api/pkg/apis"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/kubelet/imagegc"
	"github.com/capstan/capstan/internal/kubelet/images"
)

// newImageGC builds the image garbage collector of a node whose runtime
// keeps images under imageFs ("" when unknown: the runtime's image file
// system mount point, from CRI, is used). A zero policy is upstream's
// default.
func newImageGC(policy imagegc.Policy, rs internalapi.RuntimeService, is internalapi.ImageManagerService, imageFs string,
	nodeEvent func(eventType, reason, message string), log *slog.Logger) (*imagegc.Manager, error) {
	if policy == (imagegc.Policy{}) {
		policy = imagegc.DefaultPolicy()
	}
	return imagegc.NewManager(imagegc.Options{
		Policy: policy, Images: is, Runtime: rs, Pinned: []string{images.PauseImage}, NodeEvent: nodeEvent,
		FsStats: func(ctx context.Context) (int64, int64, error) {
			path, err := imageFsPath(ctx, is, imageFs)
			if err != nil {
				return 0, 0, err
			}
			return fsSpace(path)
		},
		Clock: clock.RealClock{}, Log: log,
	})
}

// imageFsPath is imageFs, or the mount point the runtime reports for its
// image file system.
func imageFsPath(ctx context.Context, is internalapi.ImageManagerService, imageFs string) (string, error) {
	if imageFs != "" {
		return imageFs, nil
	}
	info, err := is.ImageFsInfo(ctx)
	if err != nil {
		return "", fmt.Errorf("image fs info: %w", err)
	}
	for _, fs := range info.GetImageFilesystems() {
		if m := fs.GetFsId().GetMountpoint(); m != "" {
			return m, nil
		}
	}
	return "", fmt.Errorf("image fs info: the runtime reports no image file system")
}

// fsSpace is the capacity and the bytes available to unprivileged users of
// the file system holding path.
func fsSpace(path string) (capacity, available int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize, nil
}

// sameFileSystem reports whether a and b are on the same device; false
// when either cannot be read.
func sameFileSystem(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev
}
