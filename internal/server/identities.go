package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/pki"
)

// The identities of the components `capstan server` runs in-process, as
// upstream's: kube-scheduler and kube-controller-manager users, each
// controller as its ServiceAccount in kube-system, the cluster DNS as
// CoreDNS's ServiceAccount.
const (
	SchedulerUser         = "system:kube-scheduler"
	ControllerManagerUser = "system:kube-controller-manager"
	// DNSServiceAccount is the ServiceAccount in kube-system the cluster
	// DNS runs as (bound to ClusterRole system:coredns).
	DNSServiceAccount = "coredns"
	// labelControlPlane marks the server's own node; the server sets it
	// because NodeRestriction forbids a kubelet to set node-role labels.
	labelControlPlane = "node-role.kubernetes.io/control-plane"
)

// serviceAccountUser is the username of ServiceAccount namespace/name.
func serviceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// serviceAccountGroups are the groups of a ServiceAccount in namespace.
func serviceAccountGroups(namespace string) []string {
	return []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace}
}

// identities issues in-memory client certificates from the cluster CA for
// the in-process components, once per identity.
type identities struct {
	ca  *pki.KeyPair
	url string
	now func() time.Time

	mu     sync.Mutex
	issued map[string]*rest.Config
}

func newIdentities(ca *pki.KeyPair, url string) *identities {
	return &identities{ca: ca, url: url, now: time.Now, issued: map[string]*rest.Config{}}
}

// config returns the client configuration of user in groups (a copy the
// caller owns).
func (ids *identities) config(user string, groups ...string) (*rest.Config, error) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if c, ok := ids.issued[user]; ok {
		return rest.CopyConfig(c), nil
	}
	c, err := clientConfig(ids.ca, ids.url, pki.LeafSpec{CommonName: user, Organization: groups}, ids.now())
	if err != nil {
		return nil, err
	}
	ids.issued[user] = c
	return rest.CopyConfig(c), nil
}

// scheduler is the client configuration of the scheduler.
func (ids *identities) scheduler() (*rest.Config, error) { return ids.config(SchedulerUser) }

// controllerManager is the controller manager's own configuration (its
// informers, events and leader election).
func (ids *identities) controllerManager() (*rest.Config, error) {
	return ids.config(ControllerManagerUser)
}

// serviceAccount is the configuration of ServiceAccount kube-system/name.
func (ids *identities) serviceAccount(name string) (*rest.Config, error) {
	return ids.config(serviceAccountUser(metav1.NamespaceSystem, name), serviceAccountGroups(metav1.NamespaceSystem)...)
}

// clientConfig issues a client certificate for spec and returns a client
// configuration using it.
func clientConfig(ca *pki.KeyPair, url string, spec pki.LeafSpec, now time.Time) (*rest.Config, error) {
	kp, err := ca.Issue(spec, now)
	if err != nil {
		return nil, fmt.Errorf("client certificate of %s: %w", spec.CommonName, err)
	}
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		return nil, fmt.Errorf("client key of %s: %w", spec.CommonName, err)
	}
	return &rest.Config{
		Host: url, QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca.CertPEM(), CertData: kp.CertPEM(), KeyData: keyPEM},
	}, nil
}

// componentServiceAccounts are the ServiceAccounts in kube-system the
// in-process components run as.
func componentServiceAccounts() []string {
	return append(authz.ControllerServiceAccounts(), DNSServiceAccount)
}

// ensureServiceAccounts creates the components' ServiceAccounts in
// kube-system, as upstream's controller client builder does; RBAC matches
// them by username, so they exist for users to see and bind, not for
// authorization.
func ensureServiceAccounts(ctx context.Context, client kubernetes.Interface, names []string) error {
	accounts := client.CoreV1().ServiceAccounts(metav1.NamespaceSystem)
	for _, name := range names {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := accounts.Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create service account kube-system/%s: %w", name, err)
		}
	}
	return nil
}

// labelControlPlaneNode puts the control-plane role label on the server's
// own node once it has registered, retrying every interval until it is
// there or ctx ends. A kubelet may not set node-role labels itself under
// NodeRestriction, so the server does it with its own credentials, as
// kubeadm does after the kubelet registers.
func labelControlPlaneNode(ctx context.Context, client kubernetes.Interface, node string, interval time.Duration, log *slog.Logger) {
	patch := fmt.Appendf(nil, `{"metadata":{"labels":{%q:""}}}`, labelControlPlane)
	for {
		cur, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		switch {
		case err == nil:
			if _, ok := cur.Labels[labelControlPlane]; ok {
				return
			}
			if _, err := client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
				log.Warn("label control-plane node", "node", node, "err", err)
			}
		case !apierrors.IsNotFound(err) && ctx.Err() == nil:
			log.Warn("read control-plane node", "node", node, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
