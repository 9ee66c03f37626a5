package manager

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// clientsFor returns the ClientFor of a controller context: controllers
// run as the ServiceAccount kube-system/<name> their builder names when
// cfg.ClientConfigFor is set (upstream's --use-service-account-credentials),
// else every controller shares the manager's own clients.
func clientsFor(cfg Config, shared kubernetes.Interface, sharedMeta metadata.Interface) func(serviceAccount string) (kubernetes.Interface, metadata.Interface, error) {
	if cfg.ClientConfigFor == nil {
		return func(string) (kubernetes.Interface, metadata.Interface, error) { return shared, sharedMeta, nil }
	}
	return func(sa string) (kubernetes.Interface, metadata.Interface, error) {
		rc, err := cfg.ClientConfigFor(sa)
		if err != nil {
			return nil, nil, fmt.Errorf("client configuration of %s: %w", sa, err)
		}
		return newClients(rc, sa)
	}
}

func newClients(rc *rest.Config, sa string) (kubernetes.Interface, metadata.Interface, error) {
	rc = rest.CopyConfig(rc)
	rc.UserAgent = rest.DefaultKubernetesUserAgent() + "/" + sa
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("build client of %s: %w", sa, err)
	}
	meta, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, nil, fmt.Errorf("build metadata client of %s: %w", sa, err)
	}
	return client, meta, nil
}

// as returns the context a controller running as ServiceAccount
// kube-system/<serviceAccount> is built from: its own Client and Metadata;
// the informer factories, discovery and the event recorder stay the
// manager's (upstream's shared informers run as kube-controller-manager).
func (cc controllerContext) as(serviceAccount string) (controllerContext, error) {
	if cc.ClientFor == nil {
		return cc, nil
	}
	client, meta, err := cc.ClientFor(serviceAccount)
	if err != nil {
		return controllerContext{}, err
	}
	cc.Client, cc.Metadata = client, meta
	return cc, nil
}
