package volume

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTestWriter(t *testing.T) (*atomicWriter, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 27, 21, 0, 0, 0, time.UTC)
	return &atomicWriter{dir: t.TempDir(), now: func() time.Time { return now }}, &now
}

func readLink(t *testing.T, p string) string {
	t.Helper()
	s, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAtomicWriterLayout(t *testing.T) {
	w, _ := newTestWriter(t)
	changed, err := w.Write(map[string]File{"a": {Data: []byte("1"), Mode: 0o644}, "sub/b": {Data: []byte("2"), Mode: 0o400}})
	if err != nil || !changed {
		t.Fatalf("write: %v %v", changed, err)
	}
	ts := readLink(t, filepath.Join(w.dir, "..data"))
	if !strings.HasPrefix(ts, "..2026_11_27_21_00_00.") {
		t.Fatalf("..data -> %q, want a timestamped directory", ts)
	}
	if got := readLink(t, filepath.Join(w.dir, "a")); got != "..data/a" {
		t.Fatalf("a -> %q", got)
	}
	if got := readLink(t, filepath.Join(w.dir, "sub")); got != "..data/sub" {
		t.Fatalf("sub -> %q", got)
	}
	data, err := os.ReadFile(filepath.Join(w.dir, "sub/b"))
	if err != nil || string(data) != "2" {
		t.Fatalf("sub/b = %q, %v", data, err)
	}
	info, _ := os.Stat(filepath.Join(w.dir, "sub/b"))
	if info.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v", info.Mode())
	}
	changed, err = w.Write(map[string]File{"a": {Data: []byte("1"), Mode: 0o644}, "sub/b": {Data: []byte("2"), Mode: 0o400}})
	if err != nil || changed {
		t.Fatalf("identical payload rewrote: %v %v", changed, err)
	}
	if readLink(t, filepath.Join(w.dir, "..data")) != ts {
		t.Fatal("..data moved on identical payload")
	}
}

func TestAtomicWriterUpdateSwapsData(t *testing.T) {
	w, _ := newTestWriter(t)
	if _, err := w.Write(map[string]File{"a": {Data: []byte("old-a"), Mode: 0o644}, "gone": {Data: []byte("x"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	oldTS := readLink(t, filepath.Join(w.dir, "..data"))
	// A reader holding the old file keeps a consistent view after the swap.
	f, err := os.Open(filepath.Join(w.dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	changed, err := w.Write(map[string]File{"a": {Data: []byte("new-a"), Mode: 0o644}, "b": {Data: []byte("b"), Mode: 0o644}})
	if err != nil || !changed {
		t.Fatalf("update: %v %v", changed, err)
	}
	newTS := readLink(t, filepath.Join(w.dir, "..data"))
	if newTS == oldTS {
		t.Fatal("..data not swapped")
	}
	if _, err := os.Stat(filepath.Join(w.dir, oldTS)); !os.IsNotExist(err) {
		t.Fatalf("old data directory left behind: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(w.dir, "gone")); !os.IsNotExist(err) {
		t.Fatalf("stale key left behind: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(w.dir, "..data_tmp")); !os.IsNotExist(err) {
		t.Fatalf("temporary link left behind: %v", err)
	}
	old, _ := io.ReadAll(f)
	if string(old) != "old-a" {
		t.Fatalf("old reader sees %q", old)
	}
	cur, _ := os.ReadFile(filepath.Join(w.dir, "a"))
	if string(cur) != "new-a" {
		t.Fatalf("new reader sees %q", cur)
	}
}

func TestValidatePayloadPath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"a", true}, {"a/b/c", true}, {"a..b", true},
		{"", false}, {"/abs", false}, {"..data", false}, {"a/../b", false}, {"..", false},
		{strings.Repeat("x", 256), false},
	}
	for _, tt := range tests {
		if err := validatePayloadPath(tt.path); (err == nil) != tt.ok {
			t.Errorf("validatePayloadPath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
		}
	}
	w, _ := newTestWriter(t)
	if _, err := w.Write(map[string]File{"../escape": {Data: []byte("x")}}); err == nil {
		t.Fatal("writer accepted an escaping path")
	}
}

func TestParseMountInfo(t *testing.T) {
	in := "36 35 98:0 /mnt1 /mnt\\040with\\040space rw,noatime master:1 - ext3 /dev/root rw\n" +
		"37 35 0:40 / /run/x rw shared:2 - tmpfs tmpfs rw,size=1024k\n"
	got, err := parseMountInfo(bufioScanner(in))
	if err != nil {
		t.Fatal(err)
	}
	if got["/mnt with space"] != "ext3" || got["/run/x"] != "tmpfs" || len(got) != 2 {
		t.Fatalf("got %v", got)
	}
}
