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
	"github.com/capstan/capstan/internal/controller/clusterroleaggregation"
	"github.com/capstan/capstan/internal/controller/cronjob"
	"github.com/capstan/capstan/internal/controller/daemonset"
	"github.com/capstan/capstan/internal/controller/deployment"
	"github.com/capstan/capstan/internal/controller/disruption"
	"github.com/capstan/capstan/internal/controller/endpoints"
	"github.com/capstan/capstan/internal/controller/endpointslice"
	"github.com/capstan/capstan/internal/controller/endpointslicemirroring"
	"github.com/capstan/capstan/internal/controller/garbagecollector"
	"github.com/capstan/capstan/internal/controller/job"
	"github.com/capstan/capstan/internal/controller/namespace"
	"github.com/capstan/capstan/internal/controller/nodeipam"
	"github.com/capstan/capstan/internal/controller/nodelifecycle"
	"github.com/capstan/capstan/internal/controller/podgc"
	"github.com/capstan/capstan/internal/controller/replicaset"
	"github.com/capstan/capstan/internal/controller/serviceaccount"
	"github.com/capstan/capstan/internal/controller/serviceaccounttoken"
	"github.com/capstan/capstan/internal/controller/servicelb"
	"github.com/capstan/capstan/internal/controller/statefulset"
	"github.com/capstan/capstan/internal/controller/ttlafterfinished"
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
	// LegacyTokens signs Secret-based ServiceAccount tokens; nil: none.
	LegacyTokens serviceaccounttoken.Generator
	// SecondaryClusterCIDR makes node IPAM dual-stack (nil: single-stack).
	SecondaryClusterCIDR *net.IPNet
	// ServiceLBPool and DisableServiceLB: see Config.
	ServiceLBPool    []servicelb.AddrRange
	DisableServiceLB bool
	// Recorder returns an event recorder reporting as component.
	Recorder func(component string) record.EventRecorder
	// ClientFor returns the clients of ServiceAccount kube-system/<name>;
	// a builder calls cc.as(name) first so its controller acts under its
	// own identity (bound to ClusterRole system:controller:<name>).
	ClientFor func(serviceAccount string) (kubernetes.Interface, metadata.Interface, error)
}

// controller is one built controller; run blocks until ctx ends.
type controller struct {
	name string
	run  func(ctx context.Context) error
}

// registry builds the controllers the manager runs, with the worker counts
// upstream uses by default.
type registry func(cc controllerContext) ([]controller, error)

// builder builds one controller; a zero controller (nil run) means "not
// on in this configuration".
type builder func(cc controllerContext) (controller, error)

// inTree is the registry of Capstan's controllers.
func inTree(cc controllerContext) ([]controller, error) {
	builders := []builder{
		namespaceController, garbageCollector, certificatesController, nodeIPAMController, clusterRoleAggregationController,
		nodeLifecycleController, podGCController, serviceAccountController, rootCACertPublisher, disruptionController,
		replicaSetController, replicationControllerController, deploymentController,
		daemonSetController, statefulSetController,
		endpointsController, endpointSliceController, endpointSliceMirroringController, serviceLBController, jobController, cronJobController, ttlAfterFinishedController,
		resourceQuotaController,
		serviceAccountTokenController,
	}
	var out []controller
	for _, b := range builders {
		c, err := b(cc)
		if err != nil {
			return nil, err
		}
		if c.run != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// runner adapts the usual Run(ctx, workers) to a controller.
func runner(name string, workers int, run func(ctx context.Context, workers int) error) controller {
	return controller{name: name, run: func(ctx context.Context) error { return run(ctx, workers) }}
}

func namespaceController(cc controllerContext) (controller, error) {
	cc, err := cc.as("namespace-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := namespace.New(namespace.Options{Log: cc.Log.With("controller", "namespace"), Client: cc.Client,
		Metadata: cc.Metadata, Discovery: cc.Discovery, Informer: cc.Informers.Core().V1().Namespaces()})
	if err != nil {
		return controller{}, fmt.Errorf("build namespace controller: %w", err)
	}
	return runner("namespace", 10, c.Run), nil
}

func garbageCollector(cc controllerContext) (controller, error) {
	cc, err := cc.as("generic-garbage-collector")
	if err != nil {
		return controller{}, err
	}
	c := garbagecollector.New(garbagecollector.Options{Log: cc.Log.With("controller", "garbagecollector"),
		Metadata: cc.Metadata, Informers: cc.MetadataInformers, Discovery: cc.Discovery})
	return runner("garbagecollector", 20, c.Run), nil
}

func certificatesController(cc controllerContext) (controller, error) {
	cc, err := cc.as("certificate-controller")
	if err != nil {
		return controller{}, err
	}
	if cc.CA == nil {
		return controller{}, nil
	}
	c, err := certificates.New(certificates.Options{Log: cc.Log.With("controller", "certificates"), Client: cc.Client,
		Informer: cc.Informers.Certificates().V1().CertificateSigningRequests(), CA: cc.CA})
	if err != nil {
		return controller{}, fmt.Errorf("build certificates controller: %w", err)
	}
	return runner("certificates", 5, c.Run), nil
}

func clusterRoleAggregationController(cc controllerContext) (controller, error) {
	cc, err := cc.as("clusterrole-aggregation-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := clusterroleaggregation.New(clusterroleaggregation.Options{Log: cc.Log.With("controller", "clusterrole-aggregation"),
		Client: cc.Client, ClusterRoles: cc.Informers.Rbac().V1().ClusterRoles()})
	if err != nil {
		return controller{}, fmt.Errorf("build clusterrole-aggregation controller: %w", err)
	}
	return runner("clusterrole-aggregation", 1, c.Run), nil
}

func nodeIPAMController(cc controllerContext) (controller, error) {
	cc, err := cc.as("node-ipam-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := nodeipam.New(nodeipam.Options{Log: cc.Log.With("controller", "nodeipam"), Client: cc.Client,
		Informer: cc.Informers.Core().V1().Nodes(), Recorder: cc.Recorder("node-ipam-controller"),
		ClusterCIDR: cc.ClusterCIDR, NodeMaskSize: cc.NodeCIDRMaskSize,
		SecondaryClusterCIDR: cc.SecondaryClusterCIDR})
	if err != nil {
		return controller{}, fmt.Errorf("build nodeipam controller: %w", err)
	}
	return runner("nodeipam", 1, func(ctx context.Context, _ int) error { return c.Run(ctx) }), nil
}

func nodeLifecycleController(cc controllerContext) (controller, error) {
	cc, err := cc.as("node-controller")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	c, err := nodelifecycle.New(nodelifecycle.Options{Log: cc.Log.With("controller", "nodelifecycle"), Client: cc.Client,
		Nodes: core.Nodes(), Pods: core.Pods(), Leases: cc.Informers.Coordination().V1().Leases(), Recorder: cc.Recorder("node-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build nodelifecycle controller: %w", err)
	}
	return runner("nodelifecycle", 8, c.Run), nil
}

func podGCController(cc controllerContext) (controller, error) {
	cc, err := cc.as("pod-garbage-collector")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	c, err := podgc.New(podgc.Options{Log: cc.Log.With("controller", "podgc"), Client: cc.Client, Pods: core.Pods(), Nodes: core.Nodes()})
	if err != nil {
		return controller{}, fmt.Errorf("build podgc controller: %w", err)
	}
	return runner("podgc", 10, c.Run), nil
}

func serviceAccountController(cc controllerContext) (controller, error) {
	cc, err := cc.as("service-account-controller")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	c, err := serviceaccount.New(serviceaccount.Options{Log: cc.Log.With("controller", "serviceaccount"), Client: cc.Client,
		Namespaces: core.Namespaces(), ServiceAccounts: core.ServiceAccounts()})
	if err != nil {
		return controller{}, fmt.Errorf("build serviceaccount controller: %w", err)
	}
	return runner("serviceaccount", 1, c.Run), nil
}

func disruptionController(cc controllerContext) (controller, error) {
	cc, err := cc.as("disruption-controller")
	if err != nil {
		return controller{}, err
	}
	core, apps := cc.Informers.Core().V1(), cc.Informers.Apps().V1()
	c, err := disruption.New(disruption.Options{Log: cc.Log.With("controller", "disruption"), Client: cc.Client,
		Pods: core.Pods(), PDBs: cc.Informers.Policy().V1().PodDisruptionBudgets(), ReplicaSets: apps.ReplicaSets(),
		Deployments: apps.Deployments(), StatefulSets: apps.StatefulSets(), ReplicationControllers: core.ReplicationControllers(),
		Recorder: cc.Recorder("controllermanager")})
	if err != nil {
		return controller{}, fmt.Errorf("build disruption controller: %w", err)
	}
	return runner("disruption", 1, c.Run), nil
}

func replicaSetController(cc controllerContext) (controller, error) {
	cc, err := cc.as("replicaset-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := replicaset.New(replicaset.Options{Log: cc.Log.With("controller", "replicaset"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("replicaset-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build replicaset controller: %w", err)
	}
	return runner("replicaset", 5, c.Run), nil
}

func replicationControllerController(cc controllerContext) (controller, error) {
	cc, err := cc.as("replication-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := replicaset.NewForReplicationControllers(replicaset.Options{Log: cc.Log.With("controller", "replicationcontroller"),
		Client: cc.Client, Informers: cc.Informers, Recorder: cc.Recorder("replication-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build replicationcontroller controller: %w", err)
	}
	return runner("replicationcontroller", 5, c.Run), nil
}

func deploymentController(cc controllerContext) (controller, error) {
	cc, err := cc.as("deployment-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := deployment.New(deployment.Options{Log: cc.Log.With("controller", "deployment"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("deployment-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build deployment controller: %w", err)
	}
	return runner("deployment", 5, c.Run), nil
}

func endpointsController(cc controllerContext) (controller, error) {
	cc, err := cc.as("endpoint-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := endpoints.New(endpoints.Options{Log: cc.Log.With("controller", "endpoints"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("endpoint-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build endpoints controller: %w", err)
	}
	return runner("endpoints", 5, c.Run), nil
}

func endpointSliceController(cc controllerContext) (controller, error) {
	cc, err := cc.as("endpointslice-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := endpointslice.New(endpointslice.Options{Log: cc.Log.With("controller", "endpointslice"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("endpointslice-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build endpointslice controller: %w", err)
	}
	return runner("endpointslice", 5, c.Run), nil
}

func endpointSliceMirroringController(cc controllerContext) (controller, error) {
	cc, err := cc.as("endpointslicemirroring-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := endpointslicemirroring.New(endpointslicemirroring.Options{Log: cc.Log.With("controller", "endpointslicemirroring"),
		Client: cc.Client, Informers: cc.Informers, Recorder: cc.Recorder("endpointslice-mirroring-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build endpointslicemirroring controller: %w", err)
	}
	return runner("endpointslicemirroring", 5, c.Run), nil
}

func serviceLBController(cc controllerContext) (controller, error) {
	if cc.DisableServiceLB {
		return controller{}, nil
	}
	cc, err := cc.as("servicelb-controller")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	c, err := servicelb.New(servicelb.Options{Log: cc.Log.With("controller", "servicelb"), Client: cc.Client,
		Services: core.Services(), Nodes: core.Nodes(), Recorder: cc.Recorder("service-controller"), Pool: cc.ServiceLBPool})
	if err != nil {
		return controller{}, fmt.Errorf("build servicelb controller: %w", err)
	}
	return runner("servicelb", 1, c.Run), nil
}

func daemonSetController(cc controllerContext) (controller, error) {
	cc, err := cc.as("daemon-set-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := daemonset.New(daemonset.Options{Log: cc.Log.With("controller", "daemonset"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("daemonset-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build daemonset controller: %w", err)
	}
	return runner("daemonset", 2, c.Run), nil
}

func statefulSetController(cc controllerContext) (controller, error) {
	cc, err := cc.as("statefulset-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := statefulset.New(statefulset.Options{Log: cc.Log.With("controller", "statefulset"), Client: cc.Client,
		Informers: cc.Informers, Recorder: cc.Recorder("statefulset-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build statefulset controller: %w", err)
	}
	return runner("statefulset", 5, c.Run), nil
}

func jobController(cc controllerContext) (controller, error) {
	cc, err := cc.as("job-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := job.New(job.Options{Log: cc.Log.With("controller", "job"), Client: cc.Client,
		Jobs: cc.Informers.Batch().V1().Jobs(), Pods: cc.Informers.Core().V1().Pods(), Recorder: cc.Recorder("job-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build job controller: %w", err)
	}
	return runner("job", 5, c.Run), nil
}

func cronJobController(cc controllerContext) (controller, error) {
	cc, err := cc.as("cronjob-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := cronjob.New(cronjob.Options{Log: cc.Log.With("controller", "cronjob"), Client: cc.Client,
		CronJobs: cc.Informers.Batch().V1().CronJobs(), Jobs: cc.Informers.Batch().V1().Jobs(), Recorder: cc.Recorder("cronjob-controller")})
	if err != nil {
		return controller{}, fmt.Errorf("build cronjob controller: %w", err)
	}
	return runner("cronjob", 5, c.Run), nil
}

func ttlAfterFinishedController(cc controllerContext) (controller, error) {
	cc, err := cc.as("ttl-after-finished-controller")
	if err != nil {
		return controller{}, err
	}
	c, err := ttlafterfinished.New(ttlafterfinished.Options{Log: cc.Log.With("controller", "ttl-after-finished"),
		Client: cc.Client, Jobs: cc.Informers.Batch().V1().Jobs()})
	if err != nil {
		return controller{}, fmt.Errorf("build ttl-after-finished controller: %w", err)
	}
	return runner("ttl-after-finished", 5, c.Run), nil
}
