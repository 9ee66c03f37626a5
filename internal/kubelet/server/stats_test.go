package server

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestReadNodeUsage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// user nice system idle iowait irq softirq steal guest guest_nice
	write("stat", "cpu  1000 50 250 9000 300 10 20 5 400 0\ncpu0 1 2 3\n")
	write("meminfo", "MemTotal:       2048 kB\nMemFree:         100 kB\nMemAvailable:    512 kB\n")
	now := time.Unix(100, 0)
	u, err := ReadNodeUsage(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUCoreSeconds != 13.35 || u.WorkingSetBytes != 1536*1024 || !u.Time.Equal(now) {
		t.Errorf("usage %+v, want 13.35 core-seconds and 1536 KiB", u)
	}
	write("meminfo", "MemFree: 1 kB\n")
	if _, err := ReadNodeUsage(dir, now); err == nil {
		t.Error("meminfo without MemTotal accepted")
	}
}

func TestResourceMetricsAndSummary(t *testing.T) {
	rt := &fakeRuntime{containers: []*runtimeapi.Container{
		container("c1", "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING),
		container("c2", "side", 0, runtimeapi.ContainerState_CONTAINER_RUNNING),
	}}
	node := func() (NodeUsage, error) {
		return NodeUsage{Time: time.Unix(1e9, 0), CPUCoreSeconds: 42, WorkingSetBytes: 1 << 30}, nil
	}
	srv := httptest.NewServer(New(Options{Runtime: rt, NodeName: "n1", NodeUsage: node}))
	defer srv.Close()
	code, body := get(t, srv.URL+"/metrics/resource")
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`container_cpu_usage_seconds_total{container="app",namespace="ns",pod="web"} 1 1000000000000`,
		`container_memory_working_set_bytes{container="side",namespace="ns",pod="web"} 2.097152e+06`,
		`pod_cpu_usage_seconds_total{namespace="ns",pod="web"} 3`,
		`pod_memory_working_set_bytes{namespace="ns",pod="web"} 3.145728e+06`,
		`node_cpu_usage_seconds_total 42`,
		`node_memory_working_set_bytes 1.073741824e+09`,
		`resource_scrape_error 0`,
		`# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	code, body = get(t, srv.URL+"/stats/summary")
	if code != 200 {
		t.Fatalf("summary: %d %s", code, body)
	}
	var s summary
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Node.NodeName != "n1" || s.Node.CPU.UsageCoreNanoSeconds != 42e9 || len(s.Pods) != 1 || len(s.Pods[0].Containers) != 2 ||
		s.Pods[0].CPU.UsageCoreNanoSeconds != 3e9 || s.Pods[0].Memory.WorkingSetBytes != 3<<20 || s.Pods[0].PodRef.UID != "uid-1" {
		t.Errorf("summary %s", body)
	}
}
