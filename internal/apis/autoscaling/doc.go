// Package autoscaling defaults and validates autoscaling/v2
// HorizontalPodAutoscalers (autoscaling/v1 is served over the v2 storage).
//
// It validates the spec only (ObjectMeta is checked by package apis), must
// not mutate its input outside Default* functions, and must not compute
// replica counts or read metrics: that is the HPA controller's job.
package autoscaling
