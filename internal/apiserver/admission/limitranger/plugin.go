package limitranger

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "LimitRanger"

// Annotation records the defaults the plugin set on a pod.
const Annotation = "kubernetes.io/limit-ranger"

// limitRanges is the resource the plugin reads.
func limitRanges() schema.GroupVersionResource {
	return corev1.SchemeGroupVersion.WithResource("limitranges")
}

// Plugin is the LimitRanger admission plugin.
type Plugin struct {
	Lookup admission.Lookup
}

var (
	_ admission.Mutator   = (*Plugin)(nil)
	_ admission.Validator = (*Plugin)(nil)
)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// applies reports the requests LimitRanger handles: pods on create and
// claims on create and update, never subresources.
func applies(a *admission.Attributes) bool {
	if a.Subresource != "" || a.Namespace == "" {
		return false
	}
	switch a.Resource.GroupResource() {
	case corev1.Resource("pods"):
		return a.Operation == admission.Create
	case corev1.Resource("persistentvolumeclaims"):
		return a.Operation == admission.Create || a.Operation == admission.Update
	}
	return false
}

func (p *Plugin) ranges(ctx context.Context, namespace string) ([]*corev1.LimitRange, error) {
	objs, err := p.Lookup.List(ctx, limitRanges(), namespace)
	if err != nil {
		return nil, fmt.Errorf("list limit ranges in %s: %w", namespace, err)
	}
	out := make([]*corev1.LimitRange, 0, len(objs))
	for _, o := range objs {
		if lr, ok := o.(*corev1.LimitRange); ok {
			out = append(out, lr)
		}
	}
	return out, nil
}

// Admit sets container defaults on a new pod.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || !applies(a) {
		return nil
	}
	ranges, err := p.ranges(ctx, a.Namespace)
	if err != nil {
		return err
	}
	for _, lr := range ranges {
		if note := ApplyDefaults(lr, pod); note != "" {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[Annotation] = note
		}
	}
	return nil
}

// Validate enforces the ranges on pods and claims.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if !applies(a) {
		return nil
	}
	ranges, err := p.ranges(ctx, a.Namespace)
	if err != nil {
		return err
	}
	for _, lr := range ranges {
		switch obj := a.Object.(type) {
		case *corev1.Pod:
			err = ValidatePod(lr, obj)
		case *corev1.PersistentVolumeClaim:
			err = ValidateClaim(lr, obj)
		}
		if err != nil {
			return admission.Forbidden(a, err)
		}
	}
	return nil
}
