package nodestatus

import (
	"context"
	"fmt"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RuntimeReady checks the CRI runtime's RuntimeReady and NetworkReady
// conditions, with upstream's wording on failure, for use in a ReadyFunc.
func RuntimeReady(ctx context.Context, rs internalapi.RuntimeService) error {
	resp, err := rs.Status(ctx, false)
	if err != nil {
		return fmt.Errorf("container runtime status check may not have completed yet: %w", err)
	}
	var runtimeOK, network *runtimeapi.RuntimeCondition
	for _, c := range resp.GetStatus().GetConditions() {
		switch c.GetType() {
		case runtimeapi.RuntimeReady:
			runtimeOK = c
		case runtimeapi.NetworkReady:
			network = c
		}
	}
	if runtimeOK == nil || !runtimeOK.GetStatus() {
		return fmt.Errorf("container runtime is down: %s", describe(runtimeapi.RuntimeReady, runtimeOK))
	}
	if network == nil || !network.GetStatus() {
		return fmt.Errorf("container runtime network not ready: %s", describe(runtimeapi.NetworkReady, network))
	}
	return nil
}

func describe(kind string, c *runtimeapi.RuntimeCondition) string {
	if c == nil {
		return kind + "=false reason: message:condition missing"
	}
	return fmt.Sprintf("%s=%t reason:%s message:%s", kind, c.GetStatus(), c.GetReason(), c.GetMessage())
}
