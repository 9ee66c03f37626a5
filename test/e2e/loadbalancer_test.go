package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/controller/servicelb"
)

// startServiceLB runs the built-in load-balancer controller in the test
// process against c until the test ends. Once the controller manager
// registers servicelb, the server runs it itself and this goes.
func startServiceLB(t *testing.T, c *cluster) {
	t.Helper()
	cs := clientFor(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	events := record.NewBroadcaster(record.WithContext(ctx))
	events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	factory := informers.NewSharedInformerFactory(cs, 0)
	ctrl, err := servicelb.New(servicelb.Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Client: cs,
		Services: factory.Core().V1().Services(), Nodes: factory.Core().V1().Nodes(),
		Recorder: events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "service-controller"})})
	if err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(ctx, 2) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("servicelb: %v", err)
		}
		factory.Shutdown()
		events.Shutdown()
	})
}

// TestLoadBalancerService: a LoadBalancer Service gets the Ready node's
// address as ingress (ipMode VIP), answers on it at the service port from
// the host, and loses the ingress when it stops being a LoadBalancer.
func TestLoadBalancerService(t *testing.T) {
	j := joinNode(t)
	k := j.k
	startServiceLB(t, j.c)
	k.okIn(webPod("lb-web", j.nodeName, "app: lb-web")+`---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: lb-web}
  ports: [{name: http, port: 8081, targetPort: http}]
`, "apply", "-f", "-")
	k.ok("wait", "--for=condition=Ready", "pod/lb-web", "--timeout=90s")

	var ingress string
	err := eventually(context.Background(), 30*time.Second, func() error {
		ingress = k.ok("get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}/{.status.loadBalancer.ingress[*].ipMode}")
		if ingress != j.nodeIP+"/VIP" {
			return fmt.Errorf("ingress %q, want %s/VIP", ingress, j.nodeIP)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "kubectl get svc", k.ok("get", "svc", "lb"), j.nodeIP)

	err = eventually(context.Background(), 30*time.Second, func() error {
		resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + net.JoinHostPort(j.nodeIP, "8081") + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if name := strings.TrimSpace(string(b)); name != "lb-web" {
			return fmt.Errorf("answer %q", b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("load-balancer address %s:8081 from the host: %v", j.nodeIP, err)
	}
	err = eventually(context.Background(), 30*time.Second, func() error {
		reasons := k.ok("get", "events", "--field-selector", "involvedObject.name=lb", "-o", "jsonpath={.items[*].reason}")
		if !strings.Contains(reasons, "EnsuringLoadBalancer") || !strings.Contains(reasons, "EnsuredLoadBalancer") {
			return fmt.Errorf("event reasons %q", reasons)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	k.ok("patch", "svc", "lb", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/type","value":"ClusterIP"},{"op":"remove","path":"/spec/allocateLoadBalancerNodePorts"},{"op":"remove","path":"/spec/externalTrafficPolicy"},{"op":"remove","path":"/spec/ports/0/nodePort"}]`)
	err = eventually(context.Background(), 30*time.Second, func() error {
		if ing := k.ok("get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress}"); ing != "" {
			return fmt.Errorf("ingress still %s", ing)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
