package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// NodeUsage is the node's own CPU and memory use.
type NodeUsage struct {
	Time            time.Time
	CPUCoreSeconds  float64 // cumulative, all cores
	WorkingSetBytes uint64
}

// containerUsage is one container's sample, with the pod it belongs to.
type containerUsage struct {
	namespace, pod, uid, container string
	started                        time.Time
	at                             time.Time
	cpuNanos                       uint64
	workingSet                     uint64
}

// usage samples every running container through CRI.
func (s *Server) usage(ctx context.Context) ([]containerUsage, error) {
	list, err := s.opts.Runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING},
	})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	stats, err := s.opts.Runtime.ListContainerStats(ctx, &runtimeapi.ContainerStatsFilter{})
	if err != nil {
		return nil, fmt.Errorf("list container stats: %w", err)
	}
	byID := make(map[string]*runtimeapi.ContainerStats, len(stats))
	for _, st := range stats {
		byID[st.GetAttributes().GetId()] = st
	}
	var out []containerUsage
	for _, c := range list {
		st := byID[c.Id]
		if st == nil {
			continue
		}
		u := containerUsage{
			namespace: c.Labels[labelPodNamespace], pod: c.Labels[labelPodName], uid: c.Labels[labelPodUID],
			container: c.Labels[labelContainerName], started: time.Unix(0, c.CreatedAt),
			at:       time.Unix(0, st.GetCpu().GetTimestamp()),
			cpuNanos: st.GetCpu().GetUsageCoreNanoSeconds().GetValue(), workingSet: st.GetMemory().GetWorkingSetBytes().GetValue(),
		}
		out = append(out, u)
	}
	return out, nil
}

// serveResourceMetrics is /metrics/resource, what metrics-server scrapes,
// with upstream's metric names.
func (s *Server) serveResourceMetrics(w http.ResponseWriter, r *http.Request) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&resourceCollector{s: s, ctx: r.Context()})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

type resourceCollector struct {
	s   *Server
	ctx context.Context
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, "[STABLE] "+help, labels, nil)
}

func resourceDescs() []*prometheus.Desc {
	c := []string{"container", "pod", "namespace"}
	p := []string{"pod", "namespace"}
	return []*prometheus.Desc{
		desc("container_cpu_usage_seconds_total", "Cumulative cpu time consumed by the container in core-seconds", c...),
		desc("container_memory_working_set_bytes", "Current working set of the container in bytes", c...),
		desc("container_start_time_seconds", "Start time of the container since unix epoch in seconds", c...),
		desc("pod_cpu_usage_seconds_total", "Cumulative cpu time consumed by the pod in core-seconds", p...),
		desc("pod_memory_working_set_bytes", "Current working set of the pod in bytes", p...),
		desc("node_cpu_usage_seconds_total", "Cumulative cpu time consumed by the node in core-seconds"),
		desc("node_memory_working_set_bytes", "Current working set of the node in bytes"),
		desc("resource_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise"),
	}
}

func (rc *resourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range resourceDescs() {
		ch <- d
	}
}

func (rc *resourceCollector) Collect(ch chan<- prometheus.Metric) {
	d := resourceDescs()
	at := func(t time.Time, m prometheus.Metric) { ch <- prometheus.NewMetricWithTimestamp(t, m) }
	usage, err := rc.s.usage(rc.ctx)
	scrapeErr := 0.0
	if err != nil {
		rc.s.opts.Log.Warn("resource metrics", "err", err)
		scrapeErr = 1
	}
	type podKey struct{ pod, ns string }
	type podSum struct {
		at       time.Time
		cpu, mem float64
	}
	pods := map[podKey]*podSum{}
	for _, u := range usage {
		cpu := float64(u.cpuNanos) / 1e9
		at(u.at, prometheus.MustNewConstMetric(d[0], prometheus.CounterValue, cpu, u.container, u.pod, u.namespace))
		at(u.at, prometheus.MustNewConstMetric(d[1], prometheus.GaugeValue, float64(u.workingSet), u.container, u.pod, u.namespace))
		at(u.at, prometheus.MustNewConstMetric(d[2], prometheus.GaugeValue, float64(u.started.UnixNano())/1e9, u.container, u.pod, u.namespace))
		k := podKey{u.pod, u.namespace}
		if pods[k] == nil {
			pods[k] = &podSum{}
		}
		pods[k].cpu += cpu
		pods[k].mem += float64(u.workingSet)
		pods[k].at = u.at
	}
	for k, p := range pods {
		at(p.at, prometheus.MustNewConstMetric(d[3], prometheus.CounterValue, p.cpu, k.pod, k.ns))
		at(p.at, prometheus.MustNewConstMetric(d[4], prometheus.GaugeValue, p.mem, k.pod, k.ns))
	}
	if rc.s.opts.NodeUsage != nil {
		if n, err := rc.s.opts.NodeUsage(); err == nil {
			at(n.Time, prometheus.MustNewConstMetric(d[5], prometheus.CounterValue, n.CPUCoreSeconds))
			at(n.Time, prometheus.MustNewConstMetric(d[6], prometheus.GaugeValue, float64(n.WorkingSetBytes)))
		} else {
			scrapeErr = 1
		}
	}
	ch <- prometheus.MustNewConstMetric(d[7], prometheus.GaugeValue, scrapeErr)
}

// Summary API (stats/v1alpha1) types, the fields kubectl top's sources and
// metrics-server read.
type (
	summary struct {
		Node nodeStats  `json:"node"`
		Pods []podStats `json:"pods"`
	}
	nodeStats struct {
		NodeName string       `json:"nodeName"`
		CPU      *cpuStats    `json:"cpu,omitempty"`
		Memory   *memoryStats `json:"memory,omitempty"`
	}
	podReference struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		UID       string `json:"uid"`
	}
	podStats struct {
		PodRef     podReference     `json:"podRef"`
		StartTime  time.Time        `json:"startTime"`
		Containers []containerStats `json:"containers"`
		CPU        *cpuStats        `json:"cpu,omitempty"`
		Memory     *memoryStats     `json:"memory,omitempty"`
	}
	containerStats struct {
		Name      string       `json:"name"`
		StartTime time.Time    `json:"startTime"`
		CPU       *cpuStats    `json:"cpu,omitempty"`
		Memory    *memoryStats `json:"memory,omitempty"`
	}
	cpuStats struct {
		Time                 time.Time `json:"time"`
		UsageCoreNanoSeconds uint64    `json:"usageCoreNanoSeconds"`
	}
	memoryStats struct {
		Time            time.Time `json:"time"`
		WorkingSetBytes uint64    `json:"workingSetBytes"`
	}
)

// serveSummary is /stats/summary.
func (s *Server) serveSummary(w http.ResponseWriter, r *http.Request) {
	usage, err := s.usage(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := summary{Node: nodeStats{NodeName: s.opts.NodeName}, Pods: []podStats{}}
	if s.opts.NodeUsage != nil {
		if n, err := s.opts.NodeUsage(); err == nil {
			out.Node.CPU = &cpuStats{Time: n.Time, UsageCoreNanoSeconds: uint64(n.CPUCoreSeconds * 1e9)}
			out.Node.Memory = &memoryStats{Time: n.Time, WorkingSetBytes: n.WorkingSetBytes}
		}
	}
	index := map[string]int{}
	for _, u := range usage {
		i, ok := index[u.uid]
		if !ok {
			i = len(out.Pods)
			index[u.uid] = i
			out.Pods = append(out.Pods, podStats{PodRef: podReference{Name: u.pod, Namespace: u.namespace, UID: u.uid}, StartTime: u.started,
				CPU: &cpuStats{Time: u.at}, Memory: &memoryStats{Time: u.at}})
		}
		p := &out.Pods[i]
		p.Containers = append(p.Containers, containerStats{Name: u.container, StartTime: u.started,
			CPU: &cpuStats{Time: u.at, UsageCoreNanoSeconds: u.cpuNanos}, Memory: &memoryStats{Time: u.at, WorkingSetBytes: u.workingSet}})
		p.CPU.UsageCoreNanoSeconds += u.cpuNanos
		p.Memory.WorkingSetBytes += u.workingSet
		if u.started.Before(p.StartTime) {
			p.StartTime = u.started
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		s.opts.Log.Debug("write stats summary", "err", err)
	}
}
