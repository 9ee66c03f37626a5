package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

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

// BenchmarkDeploymentTo5000 scales a Deployment from 0 to 5,000 replicas on
// 100 fake nodes (no kubelets) in a real `capstan server`, and reports the
// time until every pod exists and until every pod is bound, and the server's
// RSS with the 5,000 pods (control plane only: etcd, API server,
// controllers, scheduler in one process).
// Run: go test -run X -bench DeploymentTo5000 -benchtime 1x ./test/e2e
func BenchmarkDeploymentTo5000(b *testing.B) {
	const replicas, nodes = 5000, 100
	for range b.N {
		c := startCluster(b, serverOptions{})
		cs := clientFor(b, c)
		ctx := context.Background()
		for i := range nodes {
			n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("fake-%d", i)}}
			if _, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			// The node IPAM controller writes the node too: retry on conflict.
			err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
				n, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				n.Status.Capacity = corev1.ResourceList{"cpu": resource.MustParse("32"), "memory": resource.MustParse("256Gi"), "pods": resource.MustParse("110")}
				n.Status.Allocatable = n.Status.Capacity
				n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}
				_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		labels := map[string]string{"app": "scale"}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "scale"}, Spec: appsv1.DeploymentSpec{
			Replicas: new(int32(0)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{"cpu": resource.MustParse("10m"), "memory": resource.MustParse("16Mi")}}}}}}}}
		if _, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := cs.AppsV1().Deployments("default").UpdateScale(ctx, "scale", &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: "scale", Namespace: "default"}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		var created, bound time.Duration
		err := eventually(ctx, 10*time.Minute, func() error {
			list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			if err != nil {
				return err
			}
			n := 0
			for _, p := range list.Items {
				if p.Spec.NodeName != "" {
					n++
				}
			}
			if created == 0 && len(list.Items) >= replicas {
				created = time.Since(start)
			}
			if n < replicas {
				return fmt.Errorf("%d pods, %d bound", len(list.Items), n)
			}
			bound = time.Since(start)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(created.Seconds(), "s-all-created")
		b.ReportMetric(bound.Seconds(), "s-all-bound")
		rss, anon := rssMB(b, c.cmd.Process.Pid)
		b.ReportMetric(rss, "MB-server-5000pods")
		b.ReportMetric(anon, "MB-anon-server-5000pods")
		c.cleanup()
	}
}

// BenchmarkClusterIPOverhead compares HTTP request latency from the node to
// a pod through its Service's ClusterIP with going straight to the pod IP.
// Run: go test -run X -bench ClusterIPOverhead -benchtime 1x ./test/e2e
func BenchmarkClusterIPOverhead(b *testing.B) {
	const requests = 2000
	c := startNode(b)
	k := &kubectl{t: b, cluster: c, version: "1.33", path: filepath.Join(kubectlDir, "kubectl.1.33"), kubeconfig: c.kubeconfig, home: b.TempDir()}
	k.okIn(webPod("web", c.nodeName, "app: web")+`---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`, "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/web", "--timeout=60s")
	podIP := k.ok("get", "pod", "web", "-o", "jsonpath={.status.podIP}")
	clusterIP := k.ok("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(url string) (time.Duration, error) {
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), nil
	}
	urls := []string{"http://" + net.JoinHostPort(podIP, "8080") + "/", "http://" + net.JoinHostPort(clusterIP, "80") + "/"}
	for _, u := range urls {
		if err := eventually(context.Background(), 30*time.Second, func() error { _, err := get(u); return err }); err != nil {
			b.Fatalf("%s: %v", u, err)
		}
	}
	for range b.N {
		// Interleaved, so load from others hits both paths alike.
		var total [2]time.Duration
		for range requests {
			for i, u := range urls {
				d, err := get(u)
				if err != nil {
					b.Fatal(err)
				}
				total[i] += d
			}
		}
		b.ReportMetric(float64(total[0].Microseconds())/requests, "us/req-pod-ip")
		b.ReportMetric(float64(total[1].Microseconds())/requests, "us/req-cluster-ip")
		b.ReportMetric(100*(float64(total[1])/float64(total[0])-1), "%-overhead")
	}
}
