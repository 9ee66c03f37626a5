package manager

import (
	"fmt"

	"github.com/capstan/capstan/internal/controller/rootcacertpublisher"
)

// rootCACertPublisher publishes the cluster CA as kube-root-ca.crt in every
// namespace (upstream's root-ca-cert-publisher); off without a CA.
func rootCACertPublisher(cc controllerContext) (controller, error) {
	if cc.CA == nil {
		return controller{}, nil
	}
	cc, err := cc.as("root-ca-cert-publisher")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	c, err := rootcacertpublisher.New(rootcacertpublisher.Options{Log: cc.Log.With("controller", "root-ca-cert-publisher"),
		Client: cc.Client, Namespaces: core.Namespaces(), ConfigMaps: core.ConfigMaps(), RootCA: cc.CA.CertPEM()})
	if err != nil {
		return controller{}, fmt.Errorf("build root-ca-cert-publisher: %w", err)
	}
	return runner("root-ca-cert-publisher", 1, c.Run), nil
}
