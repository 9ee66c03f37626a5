package autoscaling

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

// DefaultCPUUtilization is the target of the metric an HPA gets when it
// lists none.
const DefaultCPUUtilization int32 = 80

// DefaultHorizontalPodAutoscaler sets minReplicas 1, a CPU utilization
// metric at 80% when there are no metrics, and fills the unset parts of a
// given behavior with upstream's scale-up and scale-down rules.
func DefaultHorizontalPodAutoscaler(hpa *autoscalingv2.HorizontalPodAutoscaler) {
	if hpa.Spec.MinReplicas == nil {
		one := int32(1)
		hpa.Spec.MinReplicas = &one
	}
	if len(hpa.Spec.Metrics) == 0 {
		target := DefaultCPUUtilization
		hpa.Spec.Metrics = []autoscalingv2.MetricSpec{{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
			},
		}}
	}
	if b := hpa.Spec.Behavior; b != nil {
		b.ScaleUp = mergeScalingRules(b.ScaleUp, defaultScaleUpRules())
		b.ScaleDown = mergeScalingRules(b.ScaleDown, defaultScaleDownRules())
	}
}

// defaultScaleUpRules: no stabilization, the larger of 4 pods or 100% per 15s.
func defaultScaleUpRules() *autoscalingv2.HPAScalingRules {
	zero := int32(0)
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{
		StabilizationWindowSeconds: &zero,
		SelectPolicy:               &maxPolicy,
		Policies: []autoscalingv2.HPAScalingPolicy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
}

// defaultScaleDownRules: stabilization left to the controller's default,
// up to 100% per 15s.
func defaultScaleDownRules() *autoscalingv2.HPAScalingRules {
	maxPolicy := autoscalingv2.MaxChangePolicySelect
	return &autoscalingv2.HPAScalingRules{
		SelectPolicy: &maxPolicy,
		Policies:     []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
}

// mergeScalingRules returns defaults overridden by the fields set in rules.
func mergeScalingRules(rules, defaults *autoscalingv2.HPAScalingRules) *autoscalingv2.HPAScalingRules {
	if rules == nil {
		return defaults
	}
	out := defaults
	if rules.StabilizationWindowSeconds != nil {
		out.StabilizationWindowSeconds = rules.StabilizationWindowSeconds
	}
	if rules.SelectPolicy != nil {
		out.SelectPolicy = rules.SelectPolicy
	}
	if rules.Policies != nil {
		out.Policies = rules.Policies
	}
	out.Tolerance = rules.Tolerance
	return out
}
