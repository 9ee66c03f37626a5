package eviction

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"k8s.io/apimachinery/pkg/api/resource"
)

// HostPaths say where the host's signals are read.
type HostPaths struct {
	// Proc is the procfs mount ("/proc").
	Proc string
	// NodeFs is the kubelet's root directory; ImageFs the container
	// runtime's root. Empty skips the signals.
	NodeFs, ImageFs string
}

// ReadObservations reads the host's signals: memory from meminfo
// (MemTotal, MemAvailable), file systems with statfs, pids from pid_max and
// the kernel's process count.
func ReadObservations(p HostPaths) (Observations, error) {
	obs := Observations{}
	meminfo, err := os.ReadFile(filepath.Join(p.Proc, "meminfo"))
	if err != nil {
		return nil, fmt.Errorf("read meminfo: %w", err)
	}
	o, err := parseMeminfo(meminfo)
	if err != nil {
		return nil, err
	}
	obs[SignalMemoryAvailable] = o
	fs := []struct {
		path         string
		bytes, nodes Signal
	}{{p.NodeFs, SignalNodeFsAvailable, SignalNodeFsInodesFree}, {p.ImageFs, SignalImageFsAvailable, SignalImageFsInodesFree}}
	for _, f := range fs {
		if f.path == "" {
			continue
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(f.path, &st); err != nil {
			return nil, fmt.Errorf("statfs %s: %w", f.path, err)
		}
		obs[f.bytes] = Observation{
			Available: *resource.NewQuantity(int64(st.Bavail)*st.Bsize, resource.BinarySI),
			Capacity:  *resource.NewQuantity(int64(st.Blocks)*st.Bsize, resource.BinarySI),
		}
		obs[f.nodes] = Observation{
			Available: *resource.NewQuantity(int64(st.Ffree), resource.DecimalSI),
			Capacity:  *resource.NewQuantity(int64(st.Files), resource.DecimalSI),
		}
	}
	pidMax, err := os.ReadFile(filepath.Join(p.Proc, "sys/kernel/pid_max"))
	if err != nil {
		return nil, fmt.Errorf("read pid_max: %w", err)
	}
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return nil, fmt.Errorf("sysinfo: %w", err)
	}
	if o, err := pidObservation(pidMax, int64(si.Procs)); err == nil {
		obs[SignalPIDAvailable] = o
	} else {
		return nil, err
	}
	return obs, nil
}

// parseMeminfo gives memory.available as MemAvailable of MemTotal.
func parseMeminfo(b []byte) (Observation, error) {
	var total, avail int64 = -1, -1
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "MemTotal:":
			total = v * 1024
		case "MemAvailable:":
			avail = v * 1024
		}
	}
	if total < 0 || avail < 0 {
		return Observation{}, fmt.Errorf("meminfo: MemTotal or MemAvailable missing")
	}
	return Observation{Available: *resource.NewQuantity(avail, resource.BinarySI),
		Capacity: *resource.NewQuantity(total, resource.BinarySI)}, nil
}

// pidObservation gives pid.available as pid_max minus the processes.
func pidObservation(pidMax []byte, procs int64) (Observation, error) {
	max, err := strconv.ParseInt(strings.TrimSpace(string(pidMax)), 10, 64)
	if err != nil {
		return Observation{}, fmt.Errorf("parse pid_max: %w", err)
	}
	return Observation{Available: *resource.NewQuantity(max-procs, resource.DecimalSI),
		Capacity: *resource.NewQuantity(max, resource.DecimalSI)}, nil
}
