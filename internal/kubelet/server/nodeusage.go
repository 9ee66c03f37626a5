package server

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/stat times on Linux.
const userHZ = 100

// ReadNodeUsage samples the node's CPU time and memory working set from a
// proc filesystem (procDir is /proc outside tests): busy CPU is every
// /proc/stat time but idle and iowait; the working set is MemTotal minus
// MemAvailable.
func ReadNodeUsage(procDir string, now time.Time) (NodeUsage, error) {
	stat, err := os.ReadFile(filepath.Join(procDir, "stat"))
	if err != nil {
		return NodeUsage{}, fmt.Errorf("read cpu times: %w", err)
	}
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 5 || f[0] != "cpu" {
		return NodeUsage{}, fmt.Errorf("unexpected /proc/stat first line %q", line)
	}
	var busy uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return NodeUsage{}, fmt.Errorf("parse /proc/stat %q: %w", v, err)
		}
		if i != 3 && i != 4 && i < 8 { // skip idle, iowait and the guest times (already in user)
			busy += n
		}
	}
	mem, err := os.ReadFile(filepath.Join(procDir, "meminfo"))
	if err != nil {
		return NodeUsage{}, fmt.Errorf("read memory: %w", err)
	}
	kb := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(mem))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
			kb[name] = v
		}
	}
	total, avail := kb["MemTotal"], kb["MemAvailable"]
	if total == 0 || avail > total {
		return NodeUsage{}, fmt.Errorf("meminfo lacks MemTotal/MemAvailable")
	}
	return NodeUsage{Time: now, CPUCoreSeconds: float64(busy) / userHZ, WorkingSetBytes: (total - avail) * 1024}, nil
}
