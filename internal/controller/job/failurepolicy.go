package job

import (
	"fmt"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// policyVerdict is what the pod failure policy says about one failed pod.
type policyVerdict struct {
	// action is the matching rule's action; Count when no rule matched.
	action batchv1.PodFailurePolicyAction
	// message explains the match, for the PodFailurePolicy condition.
	message string
}

// evaluateFailurePolicy applies the first matching rule of policy to a pod
// in phase Failed. Without a policy, or when no rule matches, the failure
// counts towards the backoff limit.
func evaluateFailurePolicy(policy *batchv1.PodFailurePolicy, pod *corev1.Pod) policyVerdict {
	if policy == nil {
		return policyVerdict{action: batchv1.PodFailurePolicyActionCount}
	}
	for i, rule := range policy.Rules {
		if req := rule.OnExitCodes; req != nil {
			if cs := matchExitCodes(&pod.Status, req); cs != nil {
				return policyVerdict{action: rule.Action, message: fmt.Sprintf(
					"Container %s for pod %s/%s failed with exit code %v matching %v rule at index %d",
					cs.Name, pod.Namespace, pod.Name, cs.State.Terminated.ExitCode, rule.Action, i)}
			}
		}
		for _, pat := range rule.OnPodConditions {
			if hasPodCondition(pod, pat.Type, pat.Status) {
				return policyVerdict{action: rule.Action, message: fmt.Sprintf(
					"Pod %s/%s has condition %v matching %v rule at index %d",
					pod.Namespace, pod.Name, pat.Type, rule.Action, i)}
			}
		}
	}
	return policyVerdict{action: batchv1.PodFailurePolicyActionCount}
}

// matchExitCodes returns the first terminated container (regular ones
// first, then init containers) with a non-zero exit code matching req.
func matchExitCodes(st *corev1.PodStatus, req *batchv1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{st.ContainerStatuses, st.InitContainerStatuses} {
		for i := range list {
			cs := &list[i]
			term := cs.State.Terminated
			if term == nil || term.ExitCode == 0 {
				continue
			}
			if req.ContainerName != nil && *req.ContainerName != cs.Name {
				continue
			}
			in := slices.Contains(req.Values, term.ExitCode)
			if (req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn) == in {
				return cs
			}
		}
	}
	return nil
}

func hasPodCondition(pod *corev1.Pod, t corev1.PodConditionType, s corev1.ConditionStatus) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t && c.Status == s {
			return true
		}
	}
	return false
}
