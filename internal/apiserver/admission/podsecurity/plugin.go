package podsecurity

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "PodSecurity"

// namespaces is the resource the plugin reads.
func namespaces() schema.GroupVersionResource {
	return corev1.SchemeGroupVersion.WithResource("namespaces")
}

// Plugin is the PodSecurity admission plugin.
type Plugin struct {
	Lookup admission.Lookup
}

var _ admission.Validator = (*Plugin)(nil)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Validate implements admission.Validator.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	if a.Operation != admission.Create && a.Operation != admission.Update {
		return nil
	}
	if a.Resource.GroupResource() == namespaces().GroupResource() {
		return p.validateNamespace(ctx, a)
	}
	meta, spec, isPod := podParts(a)
	if spec == nil || a.Namespace == "" {
		return nil
	}
	policy, err := p.policy(ctx, a.Namespace)
	if err != nil || policy == nil {
		return err
	}
	if isPod {
		a.AddAnnotation(labelPrefix+"enforce-policy", policy.Enforce.String())
		if vs := Evaluate(policy.Audit.Level, meta, spec); len(vs) > 0 {
			a.AddAnnotation(labelPrefix+"audit-violations", fmt.Sprintf("would violate PodSecurity %q: %s", policy.Audit.String(), Message(vs)))
		}
		if vs := Evaluate(policy.Enforce.Level, meta, spec); len(vs) > 0 {
			return admission.Forbidden(a, fmt.Errorf("violates PodSecurity %q: %s", policy.Enforce.String(), Message(vs)))
		}
	}
	if vs := Evaluate(policy.Warn.Level, meta, spec); len(vs) > 0 {
		a.AddWarning(fmt.Sprintf("would violate PodSecurity %q: %s", policy.Warn.String(), Message(vs)))
	}
	return nil
}

// policy reads the namespace's policy; nil when the namespace is missing
// (the server refuses such writes itself).
func (p *Plugin) policy(ctx context.Context, namespace string) (*Policy, error) {
	obj, err := p.Lookup.Get(ctx, namespaces(), "", namespace)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return nil, fmt.Errorf("unexpected %T for a namespace", obj)
	}
	policy, _ := PolicyFor(ns.Labels)
	return &policy, nil
}

// podParts returns the pod metadata and spec a request writes (spec nil
// when PodSecurity does not look at it) and whether it is a pod itself.
// Updates that leave the pod template as it was are not evaluated; pods
// are evaluated on create, on image changes and when ephemeral containers
// are added.
func podParts(a *admission.Attributes) (*metav1.ObjectMeta, *corev1.PodSpec, bool) {
	if pod, ok := a.Object.(*corev1.Pod); ok {
		old, _ := a.OldObject.(*corev1.Pod)
		switch {
		case a.Operation == admission.Create && a.Subresource == "",
			a.Operation == admission.Update && a.Subresource == "ephemeralcontainers",
			a.Operation == admission.Update && a.Subresource == "" && (old == nil || significantPodUpdate(pod, old)):
			return &pod.ObjectMeta, &pod.Spec, true
		}
		return nil, nil, false
	}
	if a.Subresource != "" {
		return nil, nil, false
	}
	tmpl := template(a.Object)
	if tmpl == nil {
		return nil, nil, false
	}
	if a.Operation == admission.Update && a.OldObject != nil {
		if old := template(a.OldObject); old != nil && equality.Semantic.DeepEqual(old, tmpl) {
			return nil, nil, false
		}
	}
	return &tmpl.ObjectMeta, &tmpl.Spec, false
}

// significantPodUpdate reports pod updates worth evaluating, as upstream:
// only images (and the legacy seccomp annotations) of an existing pod can
// change what the checks see.
func significantPodUpdate(pod, old *corev1.Pod) bool {
	const seccompPod = "seccomp.security.alpha.kubernetes.io/pod"
	const seccompContainer = "container.seccomp.security.alpha.kubernetes.io/"
	if pod.Annotations[seccompPod] != old.Annotations[seccompPod] ||
		len(pod.Spec.Containers) != len(old.Spec.Containers) || len(pod.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return true
	}
	changed := func(cs, olds []corev1.Container) bool {
		for i := range cs {
			key := seccompContainer + cs[i].Name
			if cs[i].Image != olds[i].Image || pod.Annotations[key] != old.Annotations[key] {
				return true
			}
		}
		return false
	}
	return changed(pod.Spec.Containers, old.Spec.Containers) || changed(pod.Spec.InitContainers, old.Spec.InitContainers)
}

// template returns the pod template of a workload object, or nil.
func template(obj runtime.Object) *corev1.PodTemplateSpec {
	switch o := obj.(type) {
	case *corev1.PodTemplate:
		return &o.Template
	case *corev1.ReplicationController:
		return o.Spec.Template
	case *appsv1.ReplicaSet:
		return &o.Spec.Template
	case *appsv1.Deployment:
		return &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.Spec.Template
	case *batchv1.Job:
		return &o.Spec.Template
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template
	}
	return nil
}
