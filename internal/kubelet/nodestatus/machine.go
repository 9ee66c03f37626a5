package nodestatus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// MachineInfo are the host facts the node status reports.
type MachineInfo struct {
	Hostname      string
	NumCPU        int
	MemoryBytes   int64
	StorageBytes  int64 // size of the filesystem holding the data dir
	KernelVersion string
	OSImage       string
	MachineID     string
	SystemUUID    string
	BootID        string
	Architecture  string
	// InternalIP is the address of the interface holding the default route.
	InternalIP string
}

// ReadMachineInfo reads the facts from this host; dataDir is statted for
// ephemeral storage. A fact that cannot be read is an error only when the
// status would be wrong without it (CPU, memory, storage).
func ReadMachineInfo(dataDir string) (MachineInfo, error) {
	m := MachineInfo{NumCPU: runtime.NumCPU(), Architecture: runtime.GOARCH}
	m.Hostname, _ = os.Hostname()
	var err error
	if m.MemoryBytes, err = memTotal("/proc/meminfo"); err != nil {
		return m, err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dataDir, &st); err != nil {
		return m, fmt.Errorf("statfs %s: %w", dataDir, err)
	}
	m.StorageBytes = int64(st.Blocks) * st.Bsize
	var uts syscall.Utsname
	if err := syscall.Uname(&uts); err == nil {
		m.KernelVersion = utsString(uts.Release[:])
	}
	m.OSImage = osImage("/etc/os-release")
	m.MachineID = readTrimmed("/etc/machine-id")
	m.SystemUUID = readTrimmed("/sys/class/dmi/id/product_uuid")
	m.BootID = readTrimmed("/proc/sys/kernel/random/boot_id")
	m.InternalIP, _ = defaultRouteIP("/proc/net/route")
	return m, nil
}

func readTrimmed(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// memTotal parses MemTotal (kB) from a meminfo file.
func memTotal(p string) (int64, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("read memory size: %w", err)
	}
	return parseMemTotal(data)
}

func parseMemTotal(data []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse MemTotal %q: %w", f[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("meminfo has no MemTotal")
}

// osImage is PRETTY_NAME from os-release, as upstream reports it.
func osImage(p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		return "Linux"
	}
	return parseOSImage(data)
}

func parseOSImage(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			if u, err := strconv.Unquote(v); err == nil {
				return u
			}
			return strings.Trim(v, `"'`)
		}
	}
	return "Linux"
}

// defaultRouteIP returns the first IPv4 address of the interface that holds
// the IPv4 default route.
func defaultRouteIP(routeFile string) (string, error) {
	data, err := os.ReadFile(routeFile)
	if err != nil {
		return "", fmt.Errorf("read routes: %w", err)
	}
	name := defaultRouteInterface(data)
	if name == "" {
		return "", errors.New("no default route")
	}
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return "", fmt.Errorf("default route interface %s: %w", name, err)
	}
	addrs, err := iface.Addrs()
	if err != nil {
		return "", fmt.Errorf("addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return ipn.IP.String(), nil
		}
	}
	return "", fmt.Errorf("interface %s has no IPv4 address", name)
}

// defaultRouteInterface finds the interface of the 0.0.0.0/0 route with the
// lowest metric in /proc/net/route content.
func defaultRouteInterface(data []byte) string {
	best, bestMetric := "", int64(-1)
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		metric, err := strconv.ParseInt(f[6], 10, 64)
		if err != nil {
			continue
		}
		if bestMetric < 0 || metric < bestMetric {
			best, bestMetric = f[0], metric
		}
	}
	return best
}

// utsString converts a NUL-terminated utsname field.
func utsString(field []int8) string {
	b := make([]byte, 0, len(field))
	for _, c := range field {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
