package kubelet

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DeleteUnusedContainers removes every exited container of a pod that is
// not active any more (terminal, evicted, rejected, deleted or unknown):
// the node-level reclaim the eviction manager runs under disk pressure
// before it evicts pods. Containers of active pods are left to the pod
// workers. A container already gone is not an error.
func (k *Kubelet) DeleteUnusedContainers(ctx context.Context) error {
	cs, err := k.runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	active := map[types.UID]bool{}
	for _, p := range k.ActivePods() {
		active[p.UID] = true
	}
	var errs []error
	for _, id := range unusedContainers(cs, active) {
		if err := k.runtime.RemoveContainer(ctx, id); err != nil && status.Code(err) != codes.NotFound {
			errs = append(errs, fmt.Errorf("remove container %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// unusedContainers are the IDs of the exited containers whose pod is not
// in active.
func unusedContainers(cs []*runtimeapi.Container, active map[types.UID]bool) []string {
	var out []string
	for _, c := range cs {
		if c.State != runtimeapi.ContainerState_CONTAINER_EXITED {
			continue
		}
		if active[types.UID(c.GetLabels()[labelPodUID])] {
			continue
		}
		out = append(out, c.Id)
	}
	return out
}
