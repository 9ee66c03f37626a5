package volume

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Permission bits fsGroup ownership adds, as upstream: group read/write
// (read only for read-only volumes such as configMap and secret), plus
// setgid and group execute on directories.
const (
	rwGroupBits   fs.FileMode = 0o660
	roGroupBits   fs.FileMode = 0o440
	execGroupBits fs.FileMode = 0o110
)

// groupBits returns the bits setOwnership adds to files.
func groupBits(readOnly bool) fs.FileMode {
	if readOnly {
		return roGroupBits
	}
	return rwGroupBits
}

// setOwnership gives every entry under dir (dir included) to group gid and
// makes it group accessible. Symlinks are re-owned but never followed or
// chmodded.
func setOwnership(dir string, gid int64, readOnly bool) error {
	mask := groupBits(readOnly)
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, -1, int(gid)); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("stat %s: %w", path, err)
		}
		m := info.Mode()&(fs.ModePerm|fs.ModeSetgid|fs.ModeSticky) | mask
		if d.IsDir() {
			m |= fs.ModeSetgid | execGroupBits
		}
		if err := os.Chmod(path, m); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
		return nil
	})
}
