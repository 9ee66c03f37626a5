package containerd

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// CNIConfigFile is the name WriteCNIConfig gives the network configuration;
// containerd loads the lexically first file of the conf dir.
const CNIConfigFile = "10-capstan.conflist"

// CNINames are the names of one data dir's network: the CNI network name, the
// bridge (at most 15 bytes, the kernel's limit) and the host-local IPAM
// directory.
type CNINames struct {
	Network string
	Bridge  string
	IPAMDir string
}

// NamesForConfDir derives the network names from the conf dir, so agents
// with different data dirs get different bridges and address pools. The
// IPAM directory is a sibling of the conf dir ("ipam").
func NamesForConfDir(confDir string) CNINames {
	abs, err := filepath.Abs(confDir)
	if err != nil {
		abs = confDir
	}
	sum := sha256.Sum256([]byte(abs))
	id := hex.EncodeToString(sum[:4])
	return CNINames{
		Network: "capstan-" + id,
		Bridge:  "cni-" + id,
		IPAMDir: filepath.Join(filepath.Dir(abs), "ipam"),
	}
}

// RenderCNIConfig returns the conflist for a bridge network over podCIDR with
// host-local IPAM and portmap. podCIDR is one CIDR or the node's
// comma-separated podCIDRs (one per IP family): host-local then gives each
// pod one address of every range, the first being the primary pod IP.
// containerd brings up the loopback interface itself. mtu 0 leaves the
// bridge plugin's default.
func RenderCNIConfig(names CNINames, podCIDR string, mtu int) ([]byte, error) {
	ranges, routes, err := ipamRanges(podCIDR)
	if err != nil {
		return nil, err
	}
	bridge := map[string]any{
		"type":        "bridge",
		"bridge":      names.Bridge,
		"isGateway":   true,
		"ipMasq":      false, // internal/network masquerades only traffic leaving the pod network
		"hairpinMode": true,
		"ipam": map[string]any{
			"type":    "host-local",
			"ranges":  ranges,
			"routes":  routes,
			"dataDir": names.IPAMDir,
		},
	}
	if mtu > 0 {
		bridge["mtu"] = mtu
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       names.Network,
		"plugins": []any{
			bridge,
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	out, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode CNI config: %w", err)
	}
	return append(out, '\n'), nil
}

// PodCIDRList is the pod CIDR argument of WriteCNIConfig for a node:
// podCIDR, or all of podCIDRs comma-separated when the node is dual-stack.
func PodCIDRList(podCIDR string, podCIDRs []string) string {
	if len(podCIDRs) > 1 {
		return strings.Join(podCIDRs, ",")
	}
	return podCIDR
}

// ipamRanges returns host-local's ranges (one range set per CIDR, in
// order) and a default route per family.
func ipamRanges(podCIDRs string) (ranges [][]map[string]string, routes []map[string]string, err error) {
	seen := map[bool]bool{}
	for _, c := range strings.Split(podCIDRs, ",") {
		prefix, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return nil, nil, fmt.Errorf("parse pod CIDR %q: %w", c, err)
		}
		if prefix.Masked() != prefix {
			return nil, nil, fmt.Errorf("pod CIDR %q has host bits set (want %s)", c, prefix.Masked())
		}
		v6 := prefix.Addr().Is6()
		if seen[v6] {
			return nil, nil, fmt.Errorf("pod CIDRs %q: at most one per IP family", podCIDRs)
		}
		seen[v6] = true
		defaultRoute := "0.0.0.0/0"
		if v6 {
			defaultRoute = "::/0"
		}
		ranges = append(ranges, []map[string]string{{"subnet": prefix.String()}})
		routes = append(routes, map[string]string{"dst": defaultRoute})
	}
	return ranges, routes, nil
}

// WriteCNIConfig writes the default network configuration into dir (the CRI
// conf_dir) atomically. See RenderCNIConfig.
func WriteCNIConfig(dir, podCIDR string, mtu int) error {
	data, err := RenderCNIConfig(NamesForConfDir(dir), podCIDR, mtu)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create CNI conf dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".capstan-cni-*")
	if err != nil {
		return fmt.Errorf("write CNI config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write CNI config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write CNI config: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, CNIConfigFile)); err != nil {
		return fmt.Errorf("install CNI config: %w", err)
	}
	return nil
}
