package manager

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/controller/resourcequota"
)

// resourceQuotaController keeps quota status; deletions of configmaps,
// secrets and replication controllers (metadata informers shared with the
// garbage collector) recompute their namespace's quotas at once, other
// counted resources at the 5-minute resync, as upstream's default.
func resourceQuotaController(cc controllerContext) (controller, error) {
	cc, err := cc.as("resourcequota-controller")
	if err != nil {
		return controller{}, err
	}
	core := cc.Informers.Core().V1()
	var replenish []cache.SharedIndexInformer
	for _, r := range []string{"configmaps", "secrets", "replicationcontrollers"} {
		replenish = append(replenish, cc.MetadataInformers.ForResource(corev1.SchemeGroupVersion.WithResource(r)).Informer())
	}
	c, err := resourcequota.New(resourcequota.Options{Log: cc.Log.With("controller", "resourcequota"), Client: cc.Client,
		Metadata: cc.Metadata, Discovery: cc.Discovery, Quotas: core.ResourceQuotas(), Pods: core.Pods(),
		Services: core.Services(), Claims: core.PersistentVolumeClaims(), Replenish: replenish})
	if err != nil {
		return controller{}, fmt.Errorf("build resourcequota controller: %w", err)
	}
	return runner("resourcequota", 5, c.Run), nil
}
