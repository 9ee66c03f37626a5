package autoscaling

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// expectErrors fails unless errs are exactly want ("<type> <field>").
func ptr[T any](v T) *T { return &v }

func TestDefaultHorizontalPodAutoscaler(t *testing.T) {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(60))}}}}
	DefaultHorizontalPodAutoscaler(hpa)
	want := autoscalingv2.HorizontalPodAutoscalerSpec{
		MinReplicas: ptr(int32(1)),
		Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: "cpu", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(80))}}}},
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
			ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(0)), SelectPolicy: ptr(autoscalingv2.MaxChangePolicySelect),
				Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
					{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
			ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr(int32(60)), SelectPolicy: ptr(autoscalingv2.MaxChangePolicySelect),
				Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
		},
	}
	if !equality.Semantic.DeepEqual(hpa.Spec, want) {
		t.Errorf("got %+v\nwant %+v", hpa.Spec, want)
	}
	kept := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MinReplicas: ptr(int32(3)),
		Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType}}}}
	DefaultHorizontalPodAutoscaler(kept)
	if *kept.Spec.MinReplicas != 3 || len(kept.Spec.Metrics) != 1 || kept.Spec.Metrics[0].Type != autoscalingv2.PodsMetricSourceType || kept.Spec.Behavior != nil {
		t.Errorf("set fields changed: %+v", kept.Spec)
	}
}

func validHPA() *autoscalingv2.HorizontalPodAutoscaler {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
		MaxReplicas:    5,
		Behavior:       &autoscalingv2.HorizontalPodAutoscalerBehavior{},
	}}
	DefaultHorizontalPodAutoscaler(hpa)
	return hpa
}

func TestValidateHorizontalPodAutoscaler(t *testing.T) {
	q := resource.MustParse("10")
	for _, tc := range []struct {
		name   string
		mutate func(*autoscalingv2.HorizontalPodAutoscalerSpec)
		want   []string
	}{
		{"valid", func(*autoscalingv2.HorizontalPodAutoscalerSpec) {}, nil},
		{"replica bounds", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = ptr(int32(0)); s.MaxReplicas = 0 },
			[]string{"FieldValueInvalid spec.minReplicas", "FieldValueInvalid spec.maxReplicas"}},
		{"min above max", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.MinReplicas = ptr(int32(6)) },
			[]string{"FieldValueInvalid spec.maxReplicas"}},
		{"scale target", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{Name: "a/b"}
		},
			[]string{"FieldValueRequired spec.scaleTargetRef.kind", "FieldValueInvalid spec.scaleTargetRef.name"}},
		{"metric type without source", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.PodsMetricSourceType}}
		}, []string{"FieldValueRequired spec.metrics[0].pods"}},
		{"unknown metric type", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.Metrics[0].Type = "Magic" },
			[]string{"FieldValueNotSupported spec.metrics[0].type"}},
		{"two sources", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Metrics[0].Pods = &autoscalingv2.PodsMetricSource{Metric: autoscalingv2.MetricIdentifier{Name: "qps"},
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &q}}
		}, []string{"FieldValueForbidden spec.metrics[0].pods"}},
		{"resource target", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Metrics[0].Resource.Target = autoscalingv2.MetricTarget{Type: "Percent", AverageUtilization: ptr(int32(0)), AverageValue: &q}
		}, []string{"FieldValueInvalid spec.metrics[0].resource.target.type", "FieldValueInvalid spec.metrics[0].resource.target.averageUtilization",
			"FieldValueForbidden spec.metrics[0].resource.target.averageValue"}},
		{"external without target", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType}}}}
		}, []string{"FieldValueRequired spec.metrics[0].external.metric.name", "FieldValueRequired spec.metrics[0].external.target.averageValue"}},
		{"container resource", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
				Name: "cpu", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(50))}}}}
		}, []string{"FieldValueRequired spec.metrics[0].containerResource.container"}},
		{"behavior", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) {
			s.Behavior.ScaleUp.StabilizationWindowSeconds = ptr(int32(4000))
			s.Behavior.ScaleUp.SelectPolicy = ptr(autoscalingv2.ScalingPolicySelect("Avg"))
			s.Behavior.ScaleDown.Policies = []autoscalingv2.HPAScalingPolicy{{Type: "Nodes", Value: 0, PeriodSeconds: 1801}}
		}, []string{"FieldValueInvalid spec.behavior.scaleUp.stabilizationWindowSeconds", "FieldValueNotSupported spec.behavior.scaleUp.selectPolicy",
			"FieldValueNotSupported spec.behavior.scaleDown.policies[0].type", "FieldValueInvalid spec.behavior.scaleDown.policies[0].value",
			"FieldValueInvalid spec.behavior.scaleDown.policies[0].periodSeconds"}},
		{"behavior without policies", func(s *autoscalingv2.HorizontalPodAutoscalerSpec) { s.Behavior.ScaleDown.Policies = nil },
			[]string{"FieldValueRequired spec.behavior.scaleDown.policies"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hpa := validHPA()
			tc.mutate(&hpa.Spec)
			fieldtest.ExpectErrors(t, ValidateHorizontalPodAutoscaler(hpa), tc.want...)
		})
	}
}
