package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// webPod is an httpd answering with its own name, pinned to node.
func webPod(name, node, labels string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %[1]s, labels: {%[3]s}}
spec:
  nodeName: %[2]s
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: capstan.local/test/busybox:1
    imagePullPolicy: Never
    command: ["sh", "-c", "mkdir -p /www && echo %[1]s > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
`, name, node, labels)
}

// TestServicesAcrossNodes runs two web pods, one per node (the server's own
// and one joined from a network namespace), and checks the pod network,
// ClusterIP load balancing across both nodes, cluster DNS, NodePort from the
// host, session affinity, readiness leaving the endpoints, and ExternalName.
func TestServicesAcrossNodes(t *testing.T) {
	j := joinCluster(t, true)
	c, k := j.c, j.k
	importBusybox(t, c.agentDir())
	k.okIn(webPod("web-a", c.nodeName, "app: web")+"---\n"+webPod("web-b", j.nodeName, "app: web")+"---\n"+
		busyboxPod("client", c.nodeName, "exec sleep 3600", "")+"---\n"+busyboxPod("remote-client", j.nodeName, "exec sleep 3600", ""), "apply", "-f", "-")
	k.okIn(`apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: outside}
spec:
  type: ExternalName
  externalName: example.org
`, "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pods", "--all", "--timeout=90s")

	// get fetches / through nc from a pod, returning the responder's name.
	get := func(pod, target string) (string, error) {
		r := k.run("exec", pod, "--", "sh", "-c", fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s 80`, target))
		if r.err != nil {
			return "", fmt.Errorf("%v: %s", r.err, r.stderr)
		}
		body := r.stdout[strings.LastIndex(r.stdout, "\r\n\r\n")+4:]
		return strings.TrimSpace(body), nil
	}
	t.Run("pod to pod across nodes without NAT", func(t *testing.T) {
		ipB := k.ok("get", "pod", "web-b", "-o", "jsonpath={.status.podIP}")
		r := k.run("exec", "client", "--", "sh", "-c", fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 %s 8080`, ipB))
		if r.err != nil || !strings.HasSuffix(strings.TrimSpace(r.stdout), "web-b") {
			t.Fatalf("client → web-b by pod IP: %v %q %s", r.err, r.stdout, r.stderr)
		}
	})
	t.Run("ClusterIP reaches pods on both nodes, by DNS name", func(t *testing.T) {
		seen := map[string]int{}
		err := eventually(context.Background(), 60*time.Second, func() error {
			for _, pod := range []string{"client", "remote-client"} {
				name, err := get(pod, "web.default.svc.cluster.local")
				if err != nil {
					return err
				}
				seen[name]++
			}
			if seen["web-a"] == 0 || seen["web-b"] == 0 {
				return fmt.Errorf("responders so far %v", seen)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantContains(t, "nslookup", k.ok("exec", "client", "--", "nslookup", "web.default.svc.cluster.local"), k.ok("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"))
	})
	t.Run("NodePort from the host", func(t *testing.T) {
		port := k.ok("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")
		err := eventually(context.Background(), 30*time.Second, func() error {
			resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + net.JoinHostPort(j.nodeIP, port) + "/")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if name := strings.TrimSpace(string(b)); name != "web-a" && name != "web-b" {
				return fmt.Errorf("answer %q", b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("session affinity keeps a client on one pod", func(t *testing.T) {
		var names []string
		for range 8 {
			name, err := get("client", "sticky")
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		}
		if len(slices.Compact(slices.Clone(names))) != 1 {
			t.Errorf("ClientIP affinity spread one client over %v", names)
		}
	})
	t.Run("an unready pod leaves the endpoints", func(t *testing.T) {
		k.ok("exec", "web-b", "--", "rm", "/tmp/ready")
		err := eventually(context.Background(), 30*time.Second, func() error {
			eps := k.ok("get", "endpoints", "web", "-o", "jsonpath={.subsets[*].addresses[*].targetRef.name}")
			if eps != "web-a" {
				return fmt.Errorf("ready endpoints %q", eps)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // the proxy's next sync
		for i := range 6 {
			if name, err := get("client", "web"); err != nil || name != "web-a" {
				t.Fatalf("request %d reached %q (%v), want only the ready web-a", i, name, err)
			}
		}
	})
	t.Run("ExternalName is a CNAME", func(t *testing.T) {
		r := k.run("exec", "client", "--", "nslookup", "-type=CNAME", "outside.default.svc.cluster.local")
		if !strings.Contains(r.stdout, "example.org") {
			t.Errorf("nslookup CNAME: %v %q %s", r.err, r.stdout, r.stderr)
		}
	})
}
