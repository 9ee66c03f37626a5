package apiserver

import (
	"encoding/json"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// converter turns objects of a served version into the stored version and
// back, for resources served in more than one version over one storage.
type converter struct {
	toStorage   func(runtime.Object) (runtime.Object, error)
	fromStorage func(runtime.Object) (runtime.Object, error)
}

// stored returns the resource whose objects are actually stored.
func (r *Resource) stored() *Resource {
	if r.storage != nil {
		return r.storage
	}
	return r
}

// present converts a stored object to the resource's version.
func (r *Resource) present(obj runtime.Object) (runtime.Object, error) {
	if r.conv == nil {
		return obj, nil
	}
	out, err := r.conv.fromStorage(obj)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("convert to %s: %w", r.GVK, err))
	}
	return out, nil
}

// toStored converts an object of the resource's version to the stored one.
func (r *Resource) toStored(obj runtime.Object) (runtime.Object, error) {
	if r.conv == nil {
		return obj, nil
	}
	out, err := r.conv.toStorage(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("convert %s: %v", r.GVK, err))
	}
	return out, nil
}

// converterFor returns, for a kind served over another version's storage,
// the stored resource and the conversion; nil otherwise.
func converterFor(gvk schema.GroupVersionKind) (schema.GroupVersionResource, *converter) {
	switch gvk {
	case eventsv1.SchemeGroupVersion.WithKind("Event"):
		return corev1.SchemeGroupVersion.WithResource("events"), &converter{toStorage: eventToCore, fromStorage: eventFromCore}
	case autoscalingv1.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"):
		return autoscalingv2.SchemeGroupVersion.WithResource("horizontalpodautoscalers"), &converter{toStorage: hpaToV2, fromStorage: hpaFromV2}
	}
	return schema.GroupVersionResource{}, nil
}

func eventToCore(obj runtime.Object) (runtime.Object, error) {
	e, ok := obj.(*eventsv1.Event)
	if !ok {
		return nil, fmt.Errorf("want events.k8s.io/v1 Event, got %T", obj)
	}
	out := &corev1.Event{
		ObjectMeta: e.ObjectMeta, InvolvedObject: e.Regarding, Reason: e.Reason, Message: e.Note,
		Source: e.DeprecatedSource, FirstTimestamp: e.DeprecatedFirstTimestamp, LastTimestamp: e.DeprecatedLastTimestamp,
		Count: e.DeprecatedCount, Type: e.Type, EventTime: e.EventTime, Action: e.Action, Related: e.Related,
		ReportingController: e.ReportingController, ReportingInstance: e.ReportingInstance,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out, nil
}

func eventFromCore(obj runtime.Object) (runtime.Object, error) {
	e, ok := obj.(*corev1.Event)
	if !ok {
		return nil, fmt.Errorf("want v1 Event, got %T", obj)
	}
	out := &eventsv1.Event{
		ObjectMeta: e.ObjectMeta, Regarding: e.InvolvedObject, Reason: e.Reason, Note: e.Message,
		DeprecatedSource: e.Source, DeprecatedFirstTimestamp: e.FirstTimestamp, DeprecatedLastTimestamp: e.LastTimestamp,
		DeprecatedCount: e.Count, Type: e.Type, EventTime: e.EventTime, Action: e.Action, Related: e.Related,
		ReportingController: e.ReportingController, ReportingInstance: e.ReportingInstance,
	}
	if e.Series != nil {
		out.Series = &eventsv1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out, nil
}

// Annotations in which autoscaling/v1 carries what only v2 can express, so
// a v1 round trip loses nothing.
const (
	hpaMetricsAnnotation        = "autoscaling.alpha.kubernetes.io/metrics"
	hpaCurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"
	hpaConditionsAnnotation     = "autoscaling.alpha.kubernetes.io/conditions"
	hpaBehaviorAnnotation       = "autoscaling.alpha.kubernetes.io/behavior"
)

func isCPUUtilization(m autoscalingv2.MetricSpec) bool {
	return m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
		m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && m.Resource.Target.AverageUtilization != nil
}

func hpaFromV2(obj runtime.Object) (runtime.Object, error) {
	h, ok := obj.(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		return nil, fmt.Errorf("want autoscaling/v2 HorizontalPodAutoscaler, got %T", obj)
	}
	out := &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: *h.ObjectMeta.DeepCopy()}
	out.Spec = autoscalingv1.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv1.CrossVersionObjectReference(h.Spec.ScaleTargetRef),
		MinReplicas:    h.Spec.MinReplicas, MaxReplicas: h.Spec.MaxReplicas,
	}
	out.Status = autoscalingv1.HorizontalPodAutoscalerStatus{
		ObservedGeneration: h.Status.ObservedGeneration, LastScaleTime: h.Status.LastScaleTime,
		CurrentReplicas: h.Status.CurrentReplicas, DesiredReplicas: h.Status.DesiredReplicas,
	}
	var other []autoscalingv2.MetricSpec
	for _, m := range h.Spec.Metrics {
		if isCPUUtilization(m) && out.Spec.TargetCPUUtilizationPercentage == nil {
			out.Spec.TargetCPUUtilizationPercentage = m.Resource.Target.AverageUtilization
			continue
		}
		other = append(other, m)
	}
	var otherCurrent []autoscalingv2.MetricStatus
	for _, m := range h.Status.CurrentMetrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Current.AverageUtilization != nil && out.Status.CurrentCPUUtilizationPercentage == nil {
			out.Status.CurrentCPUUtilizationPercentage = m.Resource.Current.AverageUtilization
			continue
		}
		otherCurrent = append(otherCurrent, m)
	}
	for key, v := range map[string]any{hpaMetricsAnnotation: other, hpaCurrentMetricsAnnotation: otherCurrent,
		hpaConditionsAnnotation: h.Status.Conditions, hpaBehaviorAnnotation: h.Spec.Behavior} {
		if err := setJSONAnnotation(&out.ObjectMeta.Annotations, key, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func hpaToV2(obj runtime.Object) (runtime.Object, error) {
	h, ok := obj.(*autoscalingv1.HorizontalPodAutoscaler)
	if !ok {
		return nil, fmt.Errorf("want autoscaling/v1 HorizontalPodAutoscaler, got %T", obj)
	}
	out := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: *h.ObjectMeta.DeepCopy()}
	out.Spec = autoscalingv2.HorizontalPodAutoscalerSpec{
		ScaleTargetRef: autoscalingv2.CrossVersionObjectReference(h.Spec.ScaleTargetRef),
		MinReplicas:    h.Spec.MinReplicas, MaxReplicas: h.Spec.MaxReplicas,
	}
	out.Status = autoscalingv2.HorizontalPodAutoscalerStatus{
		ObservedGeneration: h.Status.ObservedGeneration, LastScaleTime: h.Status.LastScaleTime,
		CurrentReplicas: h.Status.CurrentReplicas, DesiredReplicas: h.Status.DesiredReplicas,
	}
	if p := h.Spec.TargetCPUUtilizationPercentage; p != nil {
		out.Spec.Metrics = append(out.Spec.Metrics, autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: p}}})
	}
	if p := h.Status.CurrentCPUUtilizationPercentage; p != nil {
		out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, autoscalingv2.MetricStatus{Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: p}}})
	}
	var other []autoscalingv2.MetricSpec
	var otherCurrent []autoscalingv2.MetricStatus
	a := out.Annotations
	if err := takeJSONAnnotation(a, hpaMetricsAnnotation, &other); err != nil {
		return nil, err
	}
	if err := takeJSONAnnotation(a, hpaCurrentMetricsAnnotation, &otherCurrent); err != nil {
		return nil, err
	}
	if err := takeJSONAnnotation(a, hpaConditionsAnnotation, &out.Status.Conditions); err != nil {
		return nil, err
	}
	if err := takeJSONAnnotation(a, hpaBehaviorAnnotation, &out.Spec.Behavior); err != nil {
		return nil, err
	}
	if len(a) == 0 {
		out.Annotations = nil
	}
	out.Spec.Metrics = append(out.Spec.Metrics, other...)
	out.Status.CurrentMetrics = append(out.Status.CurrentMetrics, otherCurrent...)
	return out, nil
}

// setJSONAnnotation stores v as JSON under key unless v is empty.
func setJSONAnnotation(annotations *map[string]string, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if s := string(b); s == "null" || s == "[]" || s == "{}" {
		return nil
	}
	if *annotations == nil {
		*annotations = map[string]string{}
	}
	(*annotations)[key] = string(b)
	return nil
}

// takeJSONAnnotation decodes and removes key from annotations, if present.
func takeJSONAnnotation(annotations map[string]string, key string, into any) error {
	v, ok := annotations[key]
	if !ok {
		return nil
	}
	delete(annotations, key)
	if err := json.Unmarshal([]byte(v), into); err != nil {
		return fmt.Errorf("annotation %s: %w", key, err)
	}
	return nil
}
