package manager

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/controller/certificates"
	"github.com/capstan/capstan/internal/controller/daemonset"
	"github.com/capstan/capstan/internal/controller/disruption"
	"github.com/capstan/capstan/internal/controller/garbagecollector"
	"github.com/capstan/capstan/internal/controller/namespace"
	"github.com/capstan/capstan/internal/controller/nodeipam"
	"github.com/capstan/capstan/internal/controller/nodelifecycle"
	"github.com/capstan/capstan/internal/controller/podgc"
	"github.com/capstan/capstan/internal/controller/serviceaccount"
	"github.com/capstan/capstan/internal/controller/statefulset"
	"github.com/capstan/capstan/internal/pki"
)

// controllerContext is what a controller may be built from. The factories
// are started by the manager after all controllers are built.
type controllerContext struct {
	Log               *slog.Logger
	Client            kubernetes.Interface
	Metadata          metadata.Interface
	Discovery         discovery.DiscoveryInterface
	Informers         informers.SharedInformerFactory
	MetadataInformers metadatainformer.SharedInformerFactory
	CA                *pki.KeyPair
	ClusterCIDR       *net.IPNet
	NodeCIDRMaskSize  int
	// Recorder returns an event recorder reporting as component.
	Recorder func(component string) record.EventRecorder
}

// controller is one built controller; run blocks until ctx ends.
type controller struct {
	name string
	run  func(ctx context.Context) error
}

// registry builds the controllers the manager runs, with the worker counts
// upstream uses by default.
type registry func(cc controllerContext) ([]controller, error)

// inTree is the registry of Capstan's controllers.
func inTree(cc controllerContext) ([]controller, error) {
	ns, err := namespace.New(namespace.Options{
		Log:       cc.Log.With("controller", "namespace"),
		Client:    cc.Client,
		Metadata:  cc.Metadata,
		Discovery: cc.Discovery,
		Informer:  cc.Informers.Core().V1().Namespaces(),
	})
	if err != nil {
		return nil, fmt.Errorf("build namespace controller: %w", err)
	}
	gc := garbagecollector.New(garbagecollector.Options{
		Log:       cc.Log.With("controller", "garbagecollector"),
		Metadata:  cc.Metadata,
		Informers: cc.MetadataInformers,
		Discovery: cc.Discovery,
	})
	ctrls := []controller{
		{name: "namespace", run: func(ctx context.Context) error { return ns.Run(ctx, 10) }},
		{name: "garbagecollector", run: func(ctx context.Context) error { return gc.Run(ctx, 20) }},
	}
	if cc.CA != nil {
		csr, err := certificates.New(certificates.Options{
			Log: cc.Log.With("controller", "certificates"), Client: cc.Client,
			Informer: cc.Informers.Certificates().V1().CertificateSigningRequests(), CA: cc.CA,
		})
		if err != nil {
			return nil, fmt.Errorf("build certificates controller: %w", err)
		}
		ctrls = append(ctrls, controller{name: "certificates", run: func(ctx context.Context) error { return csr.Run(ctx, 5) }})
	}
	ds, err := daemonset.New(daemonset.Options{Log: cc.Log.With("controller", "daemonset"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("daemonset-controller")})
	if err != nil {
		return nil, fmt.Errorf("build daemonset controller: %w", err)
	}
	sts, err := statefulset.New(statefulset.Options{Log: cc.Log.With("controller", "statefulset"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("statefulset-controller")})
	if err != nil {
		return nil, fmt.Errorf("build statefulset controller: %w", err)
	}
	ctrls = append(ctrls,
		controller{name: "daemonset", run: func(ctx context.Context) error { return ds.Run(ctx, 2) }},
		controller{name: "statefulset", run: func(ctx context.Context) error { return sts.Run(ctx, 5) }})
	core := cc.Informers.Core().V1()
	nl, err := nodelifecycle.New(nodelifecycle.Options{Log: cc.Log.With("controller", "nodelifecycle"), Client: cc.Client,
		Nodes: core.Nodes(), Pods: core.Pods(), Leases: cc.Informers.Coordination().V1().Leases(), Recorder: cc.Recorder("node-controller")})
	if err != nil {
		return nil, fmt.Errorf("build nodelifecycle controller: %w", err)
	}
	pgc, err := podgc.New(podgc.Options{Log: cc.Log.With("controller", "podgc"), Client: cc.Client, Pods: core.Pods(), Nodes: core.Nodes()})
	if err != nil {
		return nil, fmt.Errorf("build podgc controller: %w", err)
	}
	sa, err := serviceaccount.New(serviceaccount.Options{Log: cc.Log.With("controller", "serviceaccount"), Client: cc.Client,
		Namespaces: core.Namespaces(), ServiceAccounts: core.ServiceAccounts()})
	if err != nil {
		return nil, fmt.Errorf("build serviceaccount controller: %w", err)
	}
	apps := cc.Informers.Apps().V1()
	dis, err := disruption.New(disruption.Options{Log: cc.Log.With("controller", "disruption"), Client: cc.Client,
		Pods: core.Pods(), PDBs: cc.Informers.Policy().V1().PodDisruptionBudgets(), ReplicaSets: apps.ReplicaSets(),
		Deployments: apps.Deployments(), StatefulSets: apps.StatefulSets(), ReplicationControllers: core.ReplicationControllers(),
		Recorder: cc.Recorder("controllermanager")})
	if err != nil {
		return nil, fmt.Errorf("build disruption controller: %w", err)
	}
	ctrls = append(ctrls,
		controller{name: "nodelifecycle", run: func(ctx context.Context) error { return nl.Run(ctx, 8) }},
		controller{name: "podgc", run: func(ctx context.Context) error { return pgc.Run(ctx, 10) }},
		controller{name: "serviceaccount", run: func(ctx context.Context) error { return sa.Run(ctx, 1) }},
		controller{name: "disruption", run: func(ctx context.Context) error { return dis.Run(ctx, 1) }})
	ipam, err := nodeipam.New(nodeipam.Options{
		Log: cc.Log.With("controller", "nodeipam"), Client: cc.Client, Informer: cc.Informers.Core().V1().Nodes(),
		Recorder: cc.Recorder("node-ipam-controller"), ClusterCIDR: cc.ClusterCIDR, NodeMaskSize: cc.NodeCIDRMaskSize,
	})
	if err != nil {
		return nil, fmt.Errorf("build node IPAM controller: %w", err)
	}
	ctrls = append(ctrls, controller{name: "nodeipam", run: ipam.Run})
	return ctrls, nil
}
