package volume

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// File is one file of a projected payload: its content and permission bits.
type File struct {
	Data []byte
	Mode int32
}

const (
	dataDirName    = "..data"
	newDataDirName = "..data_tmp"
)

// atomicWriter writes a payload into a target directory so that readers
// always see one complete version: the files live in a hidden timestamped
// directory, "..data" is a symlink to it, and every user-visible top-level
// entry is a symlink through "..data". An update writes a new timestamped
// directory and renames a fresh symlink over "..data".
type atomicWriter struct {
	dir string
	now func() time.Time
	// setPerms, when set, runs on the new timestamped directory before it is
	// published (fsGroup ownership).
	setPerms func(dir string) error
	// addedBits are permission bits setPerms may add to files; they are
	// ignored when comparing a payload with what is on disk.
	addedBits fs.FileMode
}

// validatePayloadPath rejects paths that could escape the target directory
// or collide with the writer's own hidden entries.
func validatePayloadPath(p string) error {
	switch {
	case p == "":
		return errors.New("invalid path: must not be empty")
	case filepath.IsAbs(p):
		return fmt.Errorf("invalid path %q: must be relative", p)
	case len(p) > 4096:
		return fmt.Errorf("invalid path %q: must be less than or equal to 4096 characters", p)
	case strings.HasPrefix(p, ".."):
		return fmt.Errorf("invalid path %q: must not start with '..'", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("invalid path %q: must not contain '..'", p)
		}
		if len(part) > 255 {
			return fmt.Errorf("invalid path %q: each element must be less than or equal to 255 characters", p)
		}
	}
	return nil
}

// Write publishes payload in w.dir. It reports whether anything changed; an
// identical payload leaves the directory untouched.
func (w *atomicWriter) Write(payload map[string]File) (bool, error) {
	clean := make(map[string]File, len(payload))
	for p, f := range payload {
		if err := validatePayloadPath(p); err != nil {
			return false, err
		}
		clean[filepath.Clean(p)] = f
	}
	oldTS, err := os.Readlink(filepath.Join(w.dir, dataDirName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("read %s link: %w", dataDirName, err)
	}
	if oldTS != "" {
		same, err := payloadMatches(filepath.Join(w.dir, oldTS), clean, w.addedBits)
		if err != nil {
			return false, err
		}
		if same {
			return false, nil
		}
	}
	tsDir, err := os.MkdirTemp(w.dir, w.now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return false, fmt.Errorf("create timestamped directory: %w", err)
	}
	if err := writePayload(tsDir, clean); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, err
	}
	if w.setPerms != nil {
		if err := w.setPerms(tsDir); err != nil {
			_ = os.RemoveAll(tsDir)
			return false, fmt.Errorf("set permissions: %w", err)
		}
	}
	tmpLink := filepath.Join(w.dir, newDataDirName)
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("create %s link: %w", newDataDirName, err)
	}
	if err := os.Rename(tmpLink, filepath.Join(w.dir, dataDirName)); err != nil {
		_ = os.Remove(tmpLink)
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("swap %s link: %w", dataDirName, err)
	}
	if err := w.syncVisibleLinks(clean); err != nil {
		return true, err
	}
	if oldTS != "" {
		if err := os.RemoveAll(filepath.Join(w.dir, oldTS)); err != nil {
			return true, fmt.Errorf("remove old data directory %s: %w", oldTS, err)
		}
	}
	return true, nil
}

// topLevel returns the set of first path elements of the payload.
func topLevel(payload map[string]File) map[string]bool {
	top := make(map[string]bool, len(payload))
	for p := range payload {
		top[strings.SplitN(p, "/", 2)[0]] = true
	}
	return top
}

// syncVisibleLinks creates "name -> ..data/name" for every top-level entry
// of the payload and removes visible entries that are no longer in it.
func (w *atomicWriter) syncVisibleLinks(payload map[string]File) error {
	top := topLevel(payload)
	for name := range top {
		link := filepath.Join(w.dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataDirName, name), link); err != nil {
			return fmt.Errorf("create link %s: %w", name, err)
		}
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", w.dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") || top[e.Name()] {
			continue
		}
		if err := os.Remove(filepath.Join(w.dir, e.Name())); err != nil {
			return fmt.Errorf("remove stale link %s: %w", e.Name(), err)
		}
	}
	return nil
}

// writePayload writes every file under dir with its mode (umask ignored).
func writePayload(dir string, payload map[string]File) error {
	for _, p := range sortedPaths(payload) {
		f := payload[p]
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("create directory for %s: %w", p, err)
		}
		mode := fs.FileMode(f.Mode) & fs.ModePerm
		if err := os.WriteFile(full, f.Data, mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.Chmod(full, mode); err != nil {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return nil
}

// payloadMatches reports whether dir holds exactly payload (contents and
// modes, ignoring addedBits).
func payloadMatches(dir string, payload map[string]File, addedBits fs.FileMode) (bool, error) {
	found := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		found++
		return nil
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("walk %s: %w", dir, err)
	}
	if found != len(payload) {
		return false, nil
	}
	for p, f := range payload {
		full := filepath.Join(dir, p)
		info, err := os.Stat(full)
		if err != nil {
			return false, nil
		}
		if info.Mode().Perm()|addedBits != (fs.FileMode(f.Mode)&fs.ModePerm)|addedBits {
			return false, nil
		}
		data, err := os.ReadFile(full)
		if err != nil || !bytes.Equal(data, f.Data) {
			return false, nil
		}
	}
	return true, nil
}

func sortedPaths(payload map[string]File) []string {
	out := make([]string, 0, len(payload))
	for p := range payload {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
