package volume

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestCheckHostPathType(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name    string
		path    string
		typ     v1.HostPathType
		wantErr string
		isDir   bool
		isFile  bool
	}{
		{name: "unset", path: missing, typ: v1.HostPathUnset},
		{name: "directory ok", path: dir, typ: v1.HostPathDirectory},
		{name: "directory missing", path: missing, typ: v1.HostPathDirectory, wantErr: "hostPath type check failed: " + missing + " is not a directory"},
		{name: "directory is file", path: file, typ: v1.HostPathDirectory, wantErr: "hostPath type check failed: " + file + " is not a directory"},
		{name: "directory or create", path: filepath.Join(dir, "new/sub"), typ: v1.HostPathDirectoryOrCreate, isDir: true},
		{name: "directory or create on file", path: file, typ: v1.HostPathDirectoryOrCreate, wantErr: "hostPath type check failed: " + file + " is not a directory"},
		{name: "file ok", path: file, typ: v1.HostPathFile},
		{name: "file is dir", path: dir, typ: v1.HostPathFile, wantErr: "hostPath type check failed: " + dir + " is not a file"},
		{name: "file or create", path: filepath.Join(dir, "newfile"), typ: v1.HostPathFileOrCreate, isFile: true},
		{name: "socket ok", path: sock, typ: v1.HostPathSocket},
		{name: "socket is file", path: file, typ: v1.HostPathSocket, wantErr: "hostPath type check failed: " + file + " is not a socket file"},
		{name: "char device ok", path: "/dev/null", typ: v1.HostPathCharDev},
		{name: "char device is file", path: file, typ: v1.HostPathCharDev, wantErr: "hostPath type check failed: " + file + " is not a character device"},
		{name: "block device is char", path: "/dev/null", typ: v1.HostPathBlockDev, wantErr: "hostPath type check failed: /dev/null is not a block device"},
		{name: "invalid type", path: dir, typ: "Weird", wantErr: "Weird is an invalid volume type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.typ
			err := checkHostPathType(tt.path, &typ)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.isDir || tt.isFile {
				info, err := os.Stat(tt.path)
				if err != nil {
					t.Fatalf("not created: %v", err)
				}
				if info.IsDir() != tt.isDir {
					t.Fatalf("created %v, want dir=%v", info.Mode(), tt.isDir)
				}
			}
		})
	}
}
