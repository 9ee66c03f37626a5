package apiserver_test

import (
	"context"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// TestEventsServedInBothGroups writes events through one API group and reads
// them through the other: both share one storage.
func TestEventsServedInBothGroups(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, true)
	now := metav1.NewMicroTime(metav1.Now().Truncate(1e6))
	ev := &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "e1"}, EventTime: now, Reason: "Started", Note: "started the thing",
		Type: "Normal", Action: "Start", ReportingController: "test", ReportingInstance: "test-1",
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "p"},
	}
	if _, err := cs.EventsV1().Events("default").Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	core, err := cs.CoreV1().Events("default").Get(ctx, "e1", metav1.GetOptions{})
	if err != nil || core.Message != "started the thing" || core.InvolvedObject.Name != "p" || core.ReportingController != "test" {
		t.Fatalf("core view of events.k8s.io event: %+v %v", core, err)
	}
	list, err := cs.EventsV1().Events("").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].Note != "started the thing" {
		t.Fatalf("events.k8s.io list: %+v %v", list, err)
	}
}

// TestHPAVersionsRoundTrip keeps v2-only metrics through a v1 update.
func TestHPAVersionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, nil).Clientset(t, false)
	mem := resource.MustParse("100Mi")
	cpu := int32(60)
	v2 := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "h"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    5,
			Metrics: []autoscalingv2.MetricSpec{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &cpu}}},
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceMemory,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &mem}}},
			},
		},
	}
	if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers("default").Create(ctx, v2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	v1, err := cs.AutoscalingV1().HorizontalPodAutoscalers("default").Get(ctx, "h", metav1.GetOptions{})
	if err != nil || v1.Spec.TargetCPUUtilizationPercentage == nil || *v1.Spec.TargetCPUUtilizationPercentage != 60 {
		t.Fatalf("v1 view: %+v %v", v1, err)
	}
	v1.Spec.MaxReplicas = 7
	if _, err := cs.AutoscalingV1().HorizontalPodAutoscalers("default").Update(ctx, v1, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := cs.AutoscalingV2().HorizontalPodAutoscalers("default").Get(ctx, "h", metav1.GetOptions{})
	if err != nil || back.Spec.MaxReplicas != 7 || len(back.Spec.Metrics) != 2 || back.Spec.Metrics[1].Resource.Name != corev1.ResourceMemory {
		t.Fatalf("v2 after v1 update: %+v %v", back.Spec, err)
	}
	if len(back.Annotations) != 0 {
		t.Fatalf("conversion annotations leaked into v2: %v", back.Annotations)
	}
}
