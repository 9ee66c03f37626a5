package admission

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Operation is the kind of request under admission.
type Operation string

// The operations admission sees, spelt as upstream.
const (
	Create  Operation = "CREATE"
	Update  Operation = "UPDATE"
	Delete  Operation = "DELETE"
	Connect Operation = "CONNECT"
)

// UserInfo is the authenticated requester.
type UserInfo struct {
	Name   string
	Groups []string
}

// Attributes describe one request under admission.
//
// Object is the object being written, in the resource's served version
// (core/v1 Pod, apps/v1 Deployment, …); mutating plugins change it in place.
// OldObject is the stored object on UPDATE and DELETE, nil otherwise; it
// must not be changed.
type Attributes struct {
	Operation   Operation
	Resource    schema.GroupVersionResource
	Kind        schema.GroupVersionKind
	Subresource string
	Namespace   string
	// Name is the object's name; on CREATE with generateName it may be
	// empty (see DisplayName).
	Name      string
	Object    runtime.Object
	OldObject runtime.Object
	User      UserInfo
	DryRun    bool

	warnings    []string
	annotations map[string]string
}

// AddWarning records a warning the client receives as a Warning header.
func (a *Attributes) AddWarning(msg string) { a.warnings = append(a.warnings, msg) }

// AddAnnotation records a key and value for the request's audit event, as
// upstream's admission annotations (PodSecurity's audit mode uses them).
func (a *Attributes) AddAnnotation(key, value string) {
	if a.annotations == nil {
		a.annotations = map[string]string{}
	}
	a.annotations[key] = value
}

// Annotations returns the audit annotations recorded so far (do not
// modify).
func (a *Attributes) Annotations() map[string]string { return a.annotations }

// Warnings returns the warnings recorded so far (the caller owns nothing:
// do not modify the slice).
func (a *Attributes) Warnings() []string { return a.warnings }

// DisplayName is the name errors use: the name, else the object's name,
// else its generateName prefix, else "Unknown", as upstream reports it.
func (a *Attributes) DisplayName() string {
	if a.Name != "" {
		return a.Name
	}
	if a.Object != nil {
		if m, err := meta.Accessor(a.Object); err == nil {
			if m.GetName() != "" {
				return m.GetName()
			}
			if m.GetGenerateName() != "" {
				return m.GetGenerateName()
			}
		}
	}
	return "Unknown"
}

// Forbidden is the 403 a plugin returns to refuse a request:
// `<resource> "<name>" is forbidden: <err>`.
func Forbidden(a *Attributes, err error) error {
	return apierrors.NewForbidden(a.Resource.GroupResource(), a.DisplayName(), err)
}

// Lookup reads objects from the API server's store for plugins. Objects come
// back in the served version of gvr (for example core/v1) and belong to the
// caller. A missing object is an error for which apierrors.IsNotFound holds.
type Lookup interface {
	Get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error)
	// List returns every object of gvr in namespace ("" for all or for
	// cluster-scoped resources).
	List(ctx context.Context, gvr schema.GroupVersionResource, namespace string) ([]runtime.Object, error)
}

// Plugin is an admission plugin; it implements Mutator, Validator or both.
type Plugin interface {
	// Name is the upstream plugin name (for example "LimitRanger").
	Name() string
}

// Mutator changes the object under admission. An error refuses the request
// and should be an API status error (Forbidden, Invalid, …); other errors
// become 500s.
type Mutator interface {
	Plugin
	Admit(ctx context.Context, a *Attributes) error
}

// Validator checks the object under admission without changing it.
type Validator interface {
	Plugin
	Validate(ctx context.Context, a *Attributes) error
}

// Chain runs plugins in the order given: all mutators, then all validators.
// The zero Chain admits everything.
type Chain struct {
	plugins []Plugin
}

// NewChain returns a chain of plugins in the order given.
func NewChain(plugins ...Plugin) *Chain { return &Chain{plugins: plugins} }

// Names lists the plugins in order.
func (c *Chain) Names() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.plugins))
	for _, p := range c.plugins {
		out = append(out, p.Name())
	}
	return out
}

// Admit runs every mutating plugin, stopping at the first refusal.
func (c *Chain) Admit(ctx context.Context, a *Attributes) error {
	if c == nil {
		return nil
	}
	for _, p := range c.plugins {
		if m, ok := p.(Mutator); ok {
			if err := m.Admit(ctx, a); err != nil {
				return wrapFault(p, err)
			}
		}
	}
	return nil
}

// Validate runs every validating plugin, stopping at the first refusal.
func (c *Chain) Validate(ctx context.Context, a *Attributes) error {
	if c == nil {
		return nil
	}
	for _, p := range c.plugins {
		if v, ok := p.(Validator); ok {
			if err := v.Validate(ctx, a); err != nil {
				return wrapFault(p, err)
			}
		}
	}
	return nil
}

// wrapFault keeps API status errors as they are and names the plugin in
// any other error (a fault, which the server reports as 500).
func wrapFault(p Plugin, err error) error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	return fmt.Errorf("admission plugin %q: %w", p.Name(), err)
}

// IsPodCreate reports a CREATE of a pod itself (not a subresource), the
// case most pod plugins handle, and returns the pod.
func IsPodCreate(a *Attributes) (*corev1.Pod, bool) {
	if a.Operation != Create || a.Subresource != "" || a.Resource.GroupResource() != corev1.Resource("pods") {
		return nil, false
	}
	pod, ok := a.Object.(*corev1.Pod)
	return pod, ok
}
