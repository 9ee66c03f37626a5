package admissiontest

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Lookup is an in-memory admission.Lookup. Err, when set, is returned by
// every call (a storage fault); Gets counts Get calls.
type Lookup struct {
	objects map[schema.GroupVersionResource][]runtime.Object
	Err     error
	Gets    int
}

var _ admission.Lookup = (*Lookup)(nil)

// NewLookup returns an empty lookup.
func NewLookup() *Lookup {
	return &Lookup{objects: map[schema.GroupVersionResource][]runtime.Object{}}
}

// Add stores objects of gvr and returns l.
func (l *Lookup) Add(gvr schema.GroupVersionResource, objs ...runtime.Object) *Lookup {
	l.objects[gvr] = append(l.objects[gvr], objs...)
	return l
}

// Get implements admission.Lookup; it returns a deep copy.
func (l *Lookup) Get(_ context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	l.Gets++
	if l.Err != nil {
		return nil, l.Err
	}
	for _, o := range l.objects[gvr] {
		m, err := meta.Accessor(o)
		if err != nil {
			return nil, fmt.Errorf("fake lookup: %w", err)
		}
		if m.GetNamespace() == namespace && m.GetName() == name {
			return o.DeepCopyObject(), nil
		}
	}
	return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
}

// List implements admission.Lookup; it returns deep copies.
func (l *Lookup) List(_ context.Context, gvr schema.GroupVersionResource, namespace string) ([]runtime.Object, error) {
	if l.Err != nil {
		return nil, l.Err
	}
	var out []runtime.Object
	for _, o := range l.objects[gvr] {
		m, err := meta.Accessor(o)
		if err != nil {
			return nil, fmt.Errorf("fake lookup: %w", err)
		}
		if namespace == "" || m.GetNamespace() == namespace {
			out = append(out, o.DeepCopyObject())
		}
	}
	return out, nil
}

// PodCreate returns the attributes of creating pod in its namespace.
func PodCreate(pod runtime.Object) *admission.Attributes {
	m, _ := meta.Accessor(pod)
	return &admission.Attributes{
		Operation: admission.Create,
		Resource:  schema.GroupVersionResource{Version: "v1", Resource: "pods"},
		Kind:      schema.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Namespace: m.GetNamespace(),
		Object:    pod,
	}
}
