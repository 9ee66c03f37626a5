package containerd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRenderConfig(t *testing.T) {
	l := NewLayout("/data")
	got := RenderConfig(ConfigParams{Layout: l, CNIBinDir: "/usr/lib/cni", CNIConfDir: "/data/cni/net.d",
		SandboxImage: "capstan.local/pause:3.10", StreamAddress: "10.0.0.2"})
	for _, want := range []string{
		"version = 2\n",
		`root = "/data/containerd/root"`,
		`state = "/data/containerd/state"`,
		`address = "/data/containerd/containerd.sock"`,
		`sandbox_image = "capstan.local/pause:3.10"`,
		"restrict_oom_score_adj = true",
		"disable_apparmor = true",
		"disable_hugetlb_controller = true",
		"tolerate_missing_hugetlb_controller = true",
		"netns_mounts_under_state_dir = true",
		`stream_server_address = "10.0.0.2"`,
		"SystemdCgroup = false",
		`Root = "/data/containerd/runc"`,
		`bin_dir = "/usr/lib/cni"`,
		`conf_dir = "/data/cni/net.d"`,
		`config_path = "/data/registries.d"`,
		`path = "/data/containerd/opt"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %q:\n%s", want, got)
		}
	}
}

func TestRenderCNIConfig(t *testing.T) {
	names := NamesForConfDir("/var/lib/capstan/cni/net.d")
	if len(names.Bridge) > 15 {
		t.Fatalf("bridge name %q longer than 15 bytes", names.Bridge)
	}
	if other := NamesForConfDir("/other/cni/net.d"); other.Bridge == names.Bridge || other.Network == names.Network {
		t.Fatalf("names not unique per dir: %+v vs %+v", names, other)
	}
	if names.IPAMDir != "/var/lib/capstan/cni/ipam" {
		t.Fatalf("IPAM dir = %s", names.IPAMDir)
	}
	tests := []struct {
		cidr, wantErr, wantRoute string
		mtu                      int
	}{
		{cidr: "10.42.1.0/24", wantRoute: "0.0.0.0/0", mtu: 1450},
		{cidr: "fd00:42::/64", wantRoute: "::/0"},
		{cidr: "10.42.1.7/24", wantErr: "host bits"},
		{cidr: "bogus", wantErr: "parse pod CIDR"},
	}
	for _, tc := range tests {
		t.Run(tc.cidr, func(t *testing.T) {
			data, err := RenderCNIConfig(names, tc.cidr, tc.mtu)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var conf struct {
				Name    string
				Plugins []struct {
					Type, Bridge string
					MTU          int
					IPAM         struct {
						Type    string
						DataDir string
						Ranges  [][]struct{ Subnet string }
						Routes  []struct{ Dst string }
					}
				}
			}
			if err := json.Unmarshal(data, &conf); err != nil {
				t.Fatal(err)
			}
			b := conf.Plugins[0]
			if conf.Name != names.Network || b.Type != "bridge" || b.Bridge != names.Bridge || b.MTU != tc.mtu ||
				b.IPAM.Type != "host-local" || b.IPAM.Ranges[0][0].Subnet != tc.cidr ||
				b.IPAM.Routes[0].Dst != tc.wantRoute || b.IPAM.DataDir != names.IPAMDir || conf.Plugins[1].Type != "portmap" {
				t.Fatalf("unexpected config:\n%s", data)
			}
		})
	}
}

func TestWriteCNIConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	if err := WriteCNIConfig(dir, "10.42.0.0/24", 0); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != CNIConfigFile {
		t.Fatalf("conf dir holds %v, want only %s", entries, CNIConfigFile)
	}
	if err := WriteCNIConfig(dir, "10.42.0.1/24", 0); err == nil {
		t.Fatal("bad CIDR accepted")
	}
}

func TestRestartDelay(t *testing.T) {
	tests := []struct {
		prev, ran, want time.Duration
	}{
		{0, 0, time.Second},
		{time.Second, time.Second, 2 * time.Second},
		{16 * time.Second, 5 * time.Second, 30 * time.Second},
		{30 * time.Second, 5 * time.Second, 30 * time.Second},
		{30 * time.Second, 2 * time.Minute, time.Second},
	}
	for _, tc := range tests {
		if got := RestartDelay(tc.prev, tc.ran); got != tc.want {
			t.Errorf("RestartDelay(%v, %v) = %v, want %v", tc.prev, tc.ran, got, tc.want)
		}
	}
}

func TestMissingContainerdSaysWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, path := range []string{"", "/nonexistent/containerd"} {
		o := Options{DataDir: t.TempDir(), Path: path}
		err := o.setDefaults()
		if err == nil || !strings.Contains(err.Error(), "scripts/install-deps.sh") ||
			!strings.Contains(err.Error(), "apt-get install containerd runc containernetworking-plugins iptables nftables") {
			t.Errorf("Path %q: err = %v, want install hint", path, err)
		}
	}
}
