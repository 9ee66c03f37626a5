package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/apiserver/admission/priority"
	"github.com/capstan/capstan/internal/storage"
)

func (s *Server) namespaces() *Resource {
	return s.byGVR[corev1.SchemeGroupVersion.WithResource("namespaces")]
}

func (s *Server) resourceFor(obj runtime.Object) *Resource {
	s.setKind(obj)
	gvk := obj.GetObjectKind().GroupVersionKind()
	for _, r := range s.resources {
		if r.GVK == gvk {
			return r
		}
	}
	return nil
}

// ensure creates obj unless an object of its name exists.
func (s *Server) ensure(ctx context.Context, obj runtime.Object) error {
	res := s.resourceFor(obj)
	m := metaOf(obj)
	if err := s.prepareCreate(res, obj, m.GetNamespace()); err != nil {
		return err
	}
	_, err := s.store.Create(ctx, res.key(m.GetNamespace(), m.GetName()), obj)
	if errors.Is(err, storage.ErrExists) {
		return nil
	}
	return err
}

// bootstrap creates the built-in namespaces and the kubernetes Service with
// its endpoints.
func (s *Server) bootstrap(ctx context.Context) error {
	for _, name := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelMetadataName: name}}}
		if err := s.ensure(ctx, ns); err != nil {
			return err
		}
	}
	// The system PriorityClasses exist in every cluster, as upstream.
	for _, pc := range priority.SystemClasses() {
		if err := s.ensure(ctx, pc); err != nil {
			return fmt.Errorf("priority class %s: %w", pc.Name, err)
		}
	}
	return s.ensureKubernetesService(ctx)
}

// kubernetesServiceIP is the first address of the service CIDR.
func (s *Server) kubernetesServiceIP() net.IP {
	prefix, err := toPrefix(s.cfg.ServiceCIDR)
	if err != nil {
		return nil
	}
	return net.IP(addrAdd(prefix.Addr(), 1).AsSlice())
}

func (s *Server) ensureKubernetesService(ctx context.Context) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: s.kubernetesServiceIP().String(),
			SessionAffinity: corev1.ServiceAffinityNone,
			Ports: []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: 443,
				TargetPort: intstr.FromInt32(int32(s.cfg.Port))}},
		},
	}
	res := s.resourceFor(svc)
	if _, err := s.store.Get(ctx, res.key(svc.Namespace, svc.Name)); err == nil {
		return s.ensureKubernetesEndpoints(ctx)
	}
	if err := s.prepareCreate(res, svc, svc.Namespace); err != nil {
		return err
	}
	if err := s.allocateService(ctx, svc, nil); err != nil {
		return err
	}
	if _, err := s.store.Create(ctx, res.key(svc.Namespace, svc.Name), svc); err != nil && !errors.Is(err, storage.ErrExists) {
		return err
	}
	return s.ensureKubernetesEndpoints(ctx)
}

// ensureKubernetesEndpoints points the kubernetes Service at this server.
func (s *Server) ensureKubernetesEndpoints(ctx context.Context) error {
	addr := s.cfg.AdvertiseAddress
	if addr == nil {
		return nil
	}
	port := int32(s.cfg.Port)
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: addr.String()}},
			Ports:     []corev1.EndpointPort{{Name: "https", Port: port, Protocol: corev1.ProtocolTCP}},
		}},
	}
	ready := true
	name, proto := "https", corev1.ProtocolTCP
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelServiceName: "kubernetes", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{addr.String()}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port, Protocol: &proto}},
	}
	for _, obj := range []runtime.Object{ep, slice} {
		res := s.resourceFor(obj)
		m := metaOf(obj)
		want := obj.DeepCopyObject()
		if err := s.ensure(ctx, obj); err != nil {
			return err
		}
		// Keep the address current when the server moved.
		_, err := s.store.GuaranteedUpdate(ctx, res.key(m.GetNamespace(), m.GetName()), nil, func(cur runtime.Object) (runtime.Object, bool, error) {
			next := cur.DeepCopyObject()
			copyField(next, want, "Subsets")
			copyField(next, want, "Endpoints")
			copyField(next, want, "Ports")
			return next, false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// compactLoop compacts etcd history older than the revision seen one
// interval ago, as kube-apiserver does, so history stays bounded.
func (s *Server) compactLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rev, err := s.store.CurrentRevision(ctx)
		if err != nil {
			s.log.Warn("compaction: read revision", "err", err)
			continue
		}
		if prev > 0 {
			if err := s.store.Compact(ctx, prev); err != nil {
				s.log.Warn("compaction failed", "revision", prev, "err", err)
			} else {
				s.log.Debug("compacted", "revision", prev)
			}
		}
		prev = rev
	}
}

func fieldErrs(path string, value any, detail string) field.ErrorList {
	return field.ErrorList{field.Invalid(field.NewPath(path), value, detail)}
}
