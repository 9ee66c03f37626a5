package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/test/images"
)

// clientWithCert is a client of c presenting the certificate and key at
// certFile and keyFile.
func clientWithCert(t *testing.T, c *cluster, certFile, keyFile string) *kubernetes.Clientset {
	t.Helper()
	admin, err := c.restConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{Host: admin.Host, TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData, CertFile: certFile, KeyFile: keyFile}}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// clientAsIdentity issues a client certificate for user in groups from the
// cluster CA in c's data dir, as the server issues its components' own.
func clientAsIdentity(t *testing.T, c *cluster, user string, groups ...string) *kubernetes.Clientset {
	t.Helper()
	ca, err := pki.LoadKeyPair(filepath.Join(c.dataDir, "pki"), "ca")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.Issue(pki.LeafSpec{CommonName: user, Organization: groups}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := kp.Write(dir, "client"); err != nil {
		t.Fatal(err)
	}
	return clientWithCert(t, c, filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
}

// sar asks the server whether user in groups may verb resource in ns
// (kubectl auth can-i --as needs impersonation; a SubjectAccessReview
// does not).
func sar(k *kubectl, user string, groups []string, verb, resource, ns string) string {
	review := fmt.Sprintf(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",
"spec":{"user":%q,"groups":[%s],"resourceAttributes":{"verb":%q,"resource":%q,"namespace":%q}}}`,
		user, `"`+strings.Join(groups, `","`)+`"`, verb, resource, ns)
	return k.okIn(review, "create", "-f", "-", "-o", "jsonpath={.status.allowed}")
}

// componentForbidden matches a refusal of one of the server's own
// components in its log: a missing permission in the default policy.
var componentForbidden = regexp.MustCompile(`User \\?"(system:serviceaccount:kube-system:[a-z-]+|system:kube-scheduler|system:kube-controller-manager)\\?" cannot [a-z]+ resource \\?"[a-z/]+\\?"[^\n]*`)

// TestComponentIdentities runs a server with its own node and a joined
// node: the scheduler and controllers work under their own identities
// (a Deployment behind a Service rolls out), those identities cannot read
// secrets, and a kubelet's certificate cannot touch another node or set
// restricted labels on its own.
func TestComponentIdentities(t *testing.T) {
	statSources(t)
	j := joinCluster(t, true)
	c, k := j.c, j.k
	importBusybox(t, c.agentDir())
	ctx := context.Background()

	// The server labels its own node; its kubelet may not (NodeRestriction).
	if err := eventually(ctx, 30*time.Second, func() error {
		if out := k.ok("get", "node", c.nodeName, "-o", `jsonpath={.metadata.labels}`); !strings.Contains(out, "node-role.kubernetes.io/control-plane") {
			return fmt.Errorf("labels of %s: %s", c.nodeName, out)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Controllers and the scheduler do their work under their identities.
	ns := k.namespace("identities")
	k.okIn(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: %s
        imagePullPolicy: Never
        command: ["sh", "-c", "exec sleep 3600"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`, images.BusyboxRef), "apply", "-n", ns, "-f", "-")
	k.ok("rollout", "status", "-n", ns, "deployment/web", "--timeout=90s")
	if err := eventually(ctx, 30*time.Second, func() error {
		out := k.ok("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=web", "-o", "jsonpath={.items[*].endpoints[*].addresses[0]}")
		if len(strings.Fields(out)) != 2 {
			return fmt.Errorf("endpointslice addresses: %q", out)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// What the policy lets the identities do.
	rs := []string{"system:serviceaccounts", "system:serviceaccounts:kube-system"}
	for _, tt := range []struct {
		user           string
		groups         []string
		verb, resource string
		ns             string
		want           string
	}{
		{"system:serviceaccount:kube-system:replicaset-controller", rs, "get", "secrets", "", "false"},
		{"system:serviceaccount:kube-system:replicaset-controller", rs, "create", "pods", "default", "true"},
		{"system:kube-scheduler", nil, "list", "secrets", "", "false"},
		{"system:kube-scheduler", nil, "create", "pods/binding", "default", "true"},
		{"system:serviceaccount:kube-system:coredns", rs, "get", "secrets", "kube-system", "false"},
	} {
		groups := append(append([]string{}, tt.groups...), "system:authenticated")
		if got := sar(k, tt.user, groups, tt.verb, tt.resource, tt.ns); got != tt.want {
			t.Errorf("%s may %s %s in %q: %s, want %s", tt.user, tt.verb, tt.resource, tt.ns, got, tt.want)
		}
	}
	// The same, asked with the identities' own certificates.
	ctrl := clientAsIdentity(t, c, "system:serviceaccount:kube-system:replicaset-controller", rs...)
	_, err := ctrl.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	want := `secrets is forbidden: User "system:serviceaccount:kube-system:replicaset-controller" cannot list resource "secrets" in API group "" at the cluster scope`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("replicaset-controller lists secrets: %v\nwant %s", err, want)
	}
	sched := clientAsIdentity(t, c, "system:kube-scheduler")
	if _, err := sched.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("scheduler lists secrets = %v, want 403", err)
	}

	// A kubelet's certificate may not modify another node ...
	pkiDir := filepath.Join(j.agentDir, "pki")
	kubelet := clientWithCert(t, c, filepath.Join(pkiDir, "node.crt"), filepath.Join(pkiDir, "node.key"))
	label := func(node, key string) error {
		patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:"x"}}}`, key)
		_, err := kubelet.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{})
		return err
	}
	err = label(c.nodeName, "example.com/owner")
	want = fmt.Sprintf(`nodes %q is forbidden: User "system:node:%s" cannot patch resource "nodes" in API group "" at the cluster scope: node %q is not allowed to modify node %q`,
		c.nodeName, j.nodeName, j.nodeName, c.nodeName)
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("kubelet patches another node: %v\nwant %s", err, want)
	}
	// ... nor set restricted labels on its own, while others are fine.
	err = label(j.nodeName, "node-restriction.kubernetes.io/trusted")
	want = fmt.Sprintf(`nodes %q is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/trusted`, j.nodeName)
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("kubelet sets a restricted label: %v\nwant %s", err, want)
	}
	if err := label(j.nodeName, "example.com/rack"); err != nil {
		t.Errorf("kubelet sets an unrestricted label on its own node: %v", err)
	}

	// No component was refused anything along the way.
	if m := componentForbidden.FindAllString(c.log(), 5); len(m) > 0 {
		t.Errorf("components were refused by the default policy:\n%s", strings.Join(m, "\n"))
	}
}
