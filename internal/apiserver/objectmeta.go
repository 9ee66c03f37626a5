package apiserver

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/capstan/capstan/internal/apis/batch"
	"github.com/capstan/capstan/internal/apis/core"
)

// generateNameSuffix appends the 5 characters upstream's name generator adds
// (consonants and digits that cannot spell words).
func generateNameSuffix(base string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	const maxBase = 63 - 5
	if len(base) > maxBase {
		base = base[:maxBase]
	}
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return base + string(b)
}

// structField returns obj's exported struct field name (obj is a pointer to
// a struct), or an invalid Value when there is none.
func structField(obj runtime.Object, name string) reflect.Value {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem().FieldByName(name)
}

// copyField sets dst.name to src.name when both have it.
func copyField(dst, src runtime.Object, name string) {
	d, s := structField(dst, name), structField(src, name)
	if d.IsValid() && s.IsValid() && d.CanSet() {
		d.Set(s)
	}
}

// clearField zeroes obj.name when it exists.
func clearField(obj runtime.Object, name string) {
	if f := structField(obj, name); f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}

// specChanged reports whether anything but metadata and status differs, the
// upstream rule for bumping metadata.generation.
func specChanged(a, b runtime.Object) bool {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
			continue
		}
		if !apiequality.Semantic.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return true
		}
	}
	return false
}

// prepareCreate fills the server-owned metadata of a new object and resets
// what clients may not set at creation.
func (s *Server) prepareCreate(res *Resource, obj runtime.Object, namespace string) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return fmt.Errorf("object metadata: %w", err)
	}
	if res.Namespaced {
		m.SetNamespace(namespace)
	} else {
		m.SetNamespace("")
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(generateNameSuffix(m.GetGenerateName()))
	}
	m.SetUID(uuid.NewUUID())
	m.SetCreationTimestamp(metav1.NewTime(s.clock.Now().Truncate(1e9)))
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetResourceVersion("")
	m.SetSelfLink("")
	m.SetGeneration(0)
	if res.hasSpec {
		m.SetGeneration(1)
	}
	if res.Has("status") && !res.KeepStatusOnCreate {
		clearField(obj, "Status")
	}
	initialStatus(obj)
	if job, ok := obj.(*batchv1.Job); ok {
		batch.PrepareJobForCreate(job)
	}
	return nil
}

// initialStatus sets the status upstream gives some kinds at creation.
func initialStatus(obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		o.Status.Phase = corev1.PodPending
		o.Status.QOSClass = qosClass(&o.Spec)
	case *corev1.Namespace:
		o.Status.Phase = corev1.NamespaceActive
		if len(o.Spec.Finalizers) == 0 {
			o.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
		}
	case *corev1.PersistentVolume:
		o.Status.Phase = corev1.VolumePending
	case *corev1.PersistentVolumeClaim:
		o.Status.Phase = corev1.ClaimPending
	}
}

// prepareUpdate carries the server-owned metadata of cur into next and bumps
// the generation when the spec changed.
func prepareUpdate(res *Resource, next, cur runtime.Object) error {
	nm, err := meta.Accessor(next)
	if err != nil {
		return fmt.Errorf("object metadata: %w", err)
	}
	cm, err := meta.Accessor(cur)
	if err != nil {
		return fmt.Errorf("object metadata: %w", err)
	}
	nm.SetUID(cm.GetUID())
	nm.SetCreationTimestamp(cm.GetCreationTimestamp())
	nm.SetDeletionTimestamp(cm.GetDeletionTimestamp())
	nm.SetDeletionGracePeriodSeconds(cm.GetDeletionGracePeriodSeconds())
	nm.SetNamespace(cm.GetNamespace())
	nm.SetSelfLink("")
	nm.SetGeneration(cm.GetGeneration())
	nm.SetResourceVersion(cm.GetResourceVersion())
	if svc, ok := next.(*corev1.Service); ok {
		core.PrepareServiceForUpdate(svc, cur.(*corev1.Service))
	}
	if res.hasSpec && specChanged(next, cur) {
		nm.SetGeneration(cm.GetGeneration() + 1)
	}
	return nil
}

// finalized reports whether obj is being deleted and nothing holds it back
// any more, so an update should delete it instead.
func finalized(obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	if err != nil || m.GetDeletionTimestamp() == nil || len(m.GetFinalizers()) > 0 {
		return false
	}
	if ns, ok := obj.(*corev1.Namespace); ok {
		return len(ns.Spec.Finalizers) == 0
	}
	if p, ok := obj.(*corev1.Pod); ok {
		// A pod is removed by a zero-grace delete, not by losing finalizers,
		// unless its grace period has already ended.
		return p.DeletionGracePeriodSeconds != nil && *p.DeletionGracePeriodSeconds == 0
	}
	return true
}

// qosClass computes a pod's QoS class as upstream does.
func qosClass(spec *corev1.PodSpec) corev1.PodQOSClass {
	requests, limits := corev1.ResourceList{}, corev1.ResourceList{}
	isGuaranteed := true
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		for name, q := range c.Resources.Requests {
			if name != corev1.ResourceCPU && name != corev1.ResourceMemory || q.IsZero() {
				continue
			}
			if v, ok := requests[name]; ok {
				q.Add(v)
			}
			requests[name] = q
		}
		got := 0
		for name, q := range c.Resources.Limits {
			if name != corev1.ResourceCPU && name != corev1.ResourceMemory || q.IsZero() {
				continue
			}
			got++
			if v, ok := limits[name]; ok {
				q.Add(v)
			}
			limits[name] = q
		}
		if got != 2 {
			isGuaranteed = false
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return corev1.PodQOSBestEffort
	}
	if isGuaranteed {
		for name, req := range requests {
			if l, ok := limits[name]; !ok || l.Cmp(req) != 0 {
				isGuaranteed = false
				break
			}
		}
	}
	if isGuaranteed && len(requests) == len(limits) {
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// metaOf returns obj's metadata; every served type has some.
func metaOf(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("%T has no object metadata", obj))
	}
	return m
}

// uidOf returns obj's UID.
func uidOf(obj runtime.Object) types.UID { return metaOf(obj).GetUID() }

func secondsDuration(n int64) time.Duration { return time.Duration(n) * time.Second }
