package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/test/images"
)

// BenchmarkServerToNodeReady measures `capstan server` start until its own
// node reports Ready (run: go test -run X -bench ServerToNodeReady -benchtime 5x ./test/e2e).
func BenchmarkServerToNodeReady(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	var total time.Duration
	for range b.N {
		start := time.Now()
		c := startCluster(b, serverOptions{agent: true})
		cs := clientFor(b, c)
		err := eventually(context.Background(), 60*time.Second, func() error {
			n, err := cs.CoreV1().Nodes().Get(context.Background(), c.nodeName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					return nil
				}
			}
			return fmt.Errorf("not ready")
		})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		c.cleanup()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/ready")
}

// BenchmarkPodStartup creates 30 pods at once on a joined node (image
// present) and reports create → Running p50/p99, and the agent's RSS idle
// and with the 30 pods running.
func BenchmarkPodStartup(b *testing.B) {
	const pods = 30
	j := joinNode(b)
	cs := clientFor(b, j.c)
	ctx := context.Background()
	time.Sleep(5 * time.Second) // let the agent settle before measuring idle memory
	rss, anon := rssMB(b, j.agentPID)
	b.ReportMetric(rss, "MB-agent-idle")
	b.ReportMetric(anon, "MB-anon-agent-idle")
	var all []time.Duration
	for round := range b.N {
		ns := fmt.Sprintf("bench-%d", round)
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		created := make(map[string]time.Time, pods)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range pods {
			wg.Go(func() {
				name := "p" + strconv.Itoa(i)
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
					NodeName: j.nodeName, TerminationGracePeriodSeconds: new(int64(1)),
					Containers: []corev1.Container{{Name: "c", Image: images.BusyboxRef, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "3600"}}},
				}}
				mu.Lock()
				created[name] = time.Now()
				mu.Unlock()
				if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		running := map[string]bool{}
		timeout := time.After(2 * time.Minute)
		for len(running) < pods {
			select {
			case ev := <-w.ResultChan():
				pod, ok := ev.Object.(*corev1.Pod)
				if ev.Type == watch.Modified && ok && pod.Status.Phase == corev1.PodRunning && !running[pod.Name] {
					running[pod.Name] = true
					mu.Lock()
					all = append(all, time.Since(created[pod.Name]))
					mu.Unlock()
				}
			case <-timeout:
				b.Fatalf("only %d of %d pods running after 2m", len(running), pods)
			}
		}
		w.Stop()
		rss, anon := rssMB(b, j.agentPID)
		b.ReportMetric(rss, "MB-agent-30pods")
		b.ReportMetric(anon, "MB-anon-agent-30pods")
		// Pods go through the kubelet (containers stopped, sandboxes removed).
		j.k.ok("delete", "namespace", ns, "--timeout=120s")
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Milliseconds()), "ms-p50")
	b.ReportMetric(float64(all[(len(all)*99-1)/100].Milliseconds()), "ms-p99")
}

func clientFor(t testing.TB, c *cluster) kubernetes.Interface {
	t.Helper()
	cfg, err := c.restConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return kubernetes.NewForConfigOrDie(cfg)
}

// rssMB reads a process's resident set size, all of it and its anonymous
// part (without the shared, file-backed pages of the binary).
func rssMB(t testing.TB, pid int) (rss, anon float64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	mb := func(field string) float64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, field+":"); ok {
				kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				if err != nil {
					t.Fatal(err)
				}
				return float64(kb) / 1024
			}
		}
		t.Fatalf("no %s in /proc/%d/status", field, pid)
		return 0
	}
	return mb("VmRSS"), mb("RssAnon")
}
