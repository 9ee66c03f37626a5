package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// trackDeployment is a Deployment of httpd pods labelled app=shop that
// answer with their track (stable, canary).
func trackDeployment(track string, replicas int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-%[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: shop, track: %[1]s}}
  template:
    metadata: {labels: {app: shop, track: %[1]s}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: capstan.local/test/busybox:1
        imagePullPolicy: Never
        command: ["sh", "-c", "mkdir -p /www && echo %[1]s > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports: [{containerPort: 8080}]
`, track, replicas)
}

// TestHairpinAndCanarySplit checks two Service behaviours on one node: a
// pod reaches itself through a Service that selects only it (hairpin), and
// two Deployments behind one selector share its traffic in proportion to
// their replicas (3 stable : 1 canary).
func TestHairpinAndCanarySplit(t *testing.T) {
	c := startNode(t)
	k := newKubectl(t, c)
	k.okIn(webPod("lonely", c.nodeName, "app: lonely")+"---\n"+trackDeployment("stable", 3)+"---\n"+trackDeployment("canary", 1)+
		"---\n"+busyboxPod("client", c.nodeName, "exec sleep 3600", "")+`---
apiVersion: v1
kind: Service
metadata: {name: lonely}
spec:
  selector: {app: lonely}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: shop}
spec:
  selector: {app: shop}
  ports: [{port: 80, targetPort: 8080}]
`, "apply", "-f", "-")
	k.ok("rollout", "status", "deployment/shop-stable", "--timeout=90s")
	k.ok("rollout", "status", "deployment/shop-canary", "--timeout=90s")
	k.ok("wait", "--for=condition=Ready", "pod/lonely", "pod/client", "--timeout=90s")
	k.ok("wait", "--for=jsonpath={.subsets[0].addresses[3].ip}", "endpoints/shop", "--timeout=60s")

	t.Run("hairpin", func(t *testing.T) {
		ip := k.ok("get", "svc", "lonely", "-o", "jsonpath={.spec.clusterIP}")
		got := k.ok("exec", "lonely", "--", "wget", "-q", "-O", "-", "http://"+ip+"/")
		wantEqual(t, "the pod's answer to itself through its Service", strings.TrimSpace(got), "lonely")
	})
	t.Run("canary split follows replicas", func(t *testing.T) {
		const n = 400
		out := k.ok("exec", "client", "--", "sh", "-c",
			fmt.Sprintf("for i in $(seq %d); do wget -q -O - http://shop.default.svc.cluster.local/; done", n))
		count := map[string]int{}
		for _, line := range strings.Fields(out) {
			count[line]++
		}
		if count["stable"]+count["canary"] != n {
			t.Fatalf("answers %v, want %d from stable and canary", count, n)
		}
		// Each answer is canary with p = 1/4: over 400 the share lies in
		// [15 %, 35 %] with probability > 0.9999 for a fair split.
		if share := float64(count["canary"]) / n; share < 0.15 || share > 0.35 {
			t.Errorf("canary got %.0f%% of %d requests (%v), want about 25%%", share*100, n, count)
		}
	})
}
