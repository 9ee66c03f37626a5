package defaultpreemption

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

// Name is the plugin's upstream name.
const Name = "DefaultPreemption"

// Upstream per-node reasons.
const (
	ReasonNotHelpful = "Preemption is not helpful for scheduling"
	ReasonNoVictims  = "No preemption victims found for incoming pod"
	NotEligibleNever = "not eligible due to preemptionPolicy=Never"
)

// DefaultPreemption is the plugin.
type DefaultPreemption struct{}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

// Name returns Name.
func (*DefaultPreemption) Name() string { return Name }

// PostFilter reports why preemption did not help: nodes rejected as
// unresolvable cannot be helped, the others have no victims (this slice
// does not preempt).
func (*DefaultPreemption) PostFilter(_ context.Context, _ *framework.CycleState, pod *v1.Pod, statuses map[string]*framework.Status) (string, *framework.Status) {
	if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy == v1.PreemptNever {
		return "", framework.NewStatus(framework.Unschedulable, "preemption: "+NotEligibleNever)
	}
	per := make(map[string]*framework.Status, len(statuses))
	for name, st := range statuses {
		if st.Code() == framework.UnschedulableAndUnresolvable {
			per[name] = framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonNotHelpful)
		} else {
			per[name] = framework.NewStatus(framework.Unschedulable, ReasonNoVictims)
		}
	}
	msg := fmt.Sprintf("preemption: 0/%d nodes are available: %s", len(statuses), framework.ReasonHistogram(per))
	return "", framework.NewStatus(framework.Unschedulable, msg)
}
