package apiserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// fakeKubelet answers container logs with the query it saw, refuses the
// "waiting" container, and upgrades exec requests to an echo of one line.
func fakeKubelet(t *testing.T) *httptest.Server {
	t.Helper()
	k := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/containerLogs/default/web/waiting":
			http.Error(w, `container "waiting" in pod "web" is waiting to start: ContainerCreating`, http.StatusBadRequest)
		case strings.HasPrefix(r.URL.Path, "/containerLogs/"):
			fmt.Fprintf(w, "%s %s\n", r.URL.Path, r.URL.RawQuery)
		case strings.HasPrefix(r.URL.Path, "/exec/") && r.Header.Get("Upgrade") == "echo":
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			rw.Flush()
			line, _ := rw.ReadString('\n')
			fmt.Fprintf(rw, "%s %s", r.URL.RequestURI(), line)
			rw.Flush()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(k.Close)
	return k
}

func proxySetup(t *testing.T) (*apiservertest.Server, kubernetes.Interface) {
	t.Helper()
	k := fakeKubelet(t)
	srv := apiservertest.Start(t, func(c *apiserver.Config) {
		c.KubeletClientTLS = k.Client().Transport.(*http.Transport).TLSClientConfig
	})
	cs := srv.Clientset(t, false)
	ctx := context.Background()
	u, _ := url.Parse(k.URL)
	port, _ := strconv.Atoi(u.Port())
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	node, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1.invalid"}, {Type: corev1.NodeInternalIP, Address: u.Hostname()}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, node string }{{"web", "n1"}, {"pending", ""}} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: corev1.PodSpec{
			NodeName:       p.node,
			InitContainers: []corev1.Container{{Name: "setup", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "app", Image: "busybox"}, {Name: "waiting", Image: "busybox"}},
		}}
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, cs
}

func TestPodLogsThroughKubelet(t *testing.T) {
	_, cs := proxySetup(t)
	ctx := context.Background()
	tail := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name string
		pod  string
		opts corev1.PodLogOptions
		want string
		code int32
	}{
		{"forwarded", "web", corev1.PodLogOptions{Container: "app", TailLines: tail(2), Timestamps: true}, "/containerLogs/default/web/app tailLines=2&timestamps=true\n", 0},
		{"init container", "web", corev1.PodLogOptions{Container: "setup"}, "/containerLogs/default/web/setup \n", 0},
		{"no node yet", "pending", corev1.PodLogOptions{Container: "app"}, "", 0},
		{"must choose", "web", corev1.PodLogOptions{}, "a container name must be specified for pod web, choose one of: [app waiting] or one of the init containers: [setup]", 400},
		{"unknown container", "web", corev1.PodLogOptions{Container: "nope"}, "container nope is not valid for pod web", 400},
		{"negative tail", "web", corev1.PodLogOptions{Container: "app", TailLines: tail(-1)}, `PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`, 422},
		{"kubelet refuses", "web", corev1.PodLogOptions{Container: "waiting"}, `container "waiting" in pod "web" is waiting to start: ContainerCreating`, 400},
		{"missing pod", "ghost", corev1.PodLogOptions{Container: "app"}, `pods "ghost" not found`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Stream is what kubectl logs uses; it decodes error Statuses.
			var body []byte
			rc, err := cs.CoreV1().Pods("default").GetLogs(tc.pod, &tc.opts).Stream(ctx)
			if err == nil {
				body, err = io.ReadAll(rc)
				rc.Close()
			}
			if tc.code != 0 {
				var se *apierrors.StatusError
				if !errorsAs(err, &se) || se.ErrStatus.Code != tc.code || se.ErrStatus.Message != tc.want {
					t.Fatalf("got %v (%#v), want %d %q", err, se, tc.code, tc.want)
				}
				return
			}
			if err != nil || string(body) != tc.want {
				t.Fatalf("got %q %v, want %q", body, err, tc.want)
			}
		})
	}
}

func errorsAs(err error, se **apierrors.StatusError) bool {
	s, ok := err.(*apierrors.StatusError)
	*se = s
	return ok
}

// TestExecUpgradeThroughKubelet sends an upgrading exec request through the
// API server and talks to the fake kubelet over the hijacked connection.
func TestExecUpgradeThroughKubelet(t *testing.T) {
	srv, _ := proxySetup(t)
	u, _ := url.Parse(srv.Config.Host)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/namespaces/default/pods/web/exec?container=app&command=ls&stdout=true HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: echo\r\nContent-Length: 0\r\n\r\n", u.Host)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	fmt.Fprintf(conn, "ping\n")
	got, _ := br.ReadString('\n')
	if want := "/exec/default/web/app?command=ls&stdout=true ping\n"; got != want {
		t.Errorf("through the stream: %q, want %q", got, want)
	}
}

// TestNodeProxy reaches any kubelet path through nodes/{name}/proxy.
func TestNodeProxy(t *testing.T) {
	_, cs := proxySetup(t)
	body, err := cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/n1/proxy/containerLogs/default/web/app").Param("tailLines", "3").DoRaw(context.Background())
	if err != nil || string(body) != "/containerLogs/default/web/app tailLines=3\n" {
		t.Fatalf("through nodes/proxy: %q %v", body, err)
	}
	_, err = cs.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes/ghost/proxy/stats/summary").DoRaw(context.Background())
	if !apierrors.IsNotFound(err) {
		t.Errorf("proxy to a missing node: %v", err)
	}
}
