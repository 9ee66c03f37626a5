package apiserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/capstan/capstan/internal/storage"
)

// Keys of allocations in the store.
const (
	clusterIPKeyPrefix = "/allocations/clusterips/"
	nodePortKeyPrefix  = "/allocations/nodeports/"
)

func allocationOwner(svc *corev1.Service) string {
	return svc.Namespace + "/" + svc.Name + "/" + string(svc.UID)
}

// admitCreate runs the server's built-in mutations that need the store
// (ClusterIP and NodePort allocation). release undoes them if the create
// does not happen.
func (s *Server) admitCreate(rq *request, obj runtime.Object) (release func(), err error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return func() {}, nil
	}
	if err := s.allocateService(rq.ctx, svc, nil); err != nil {
		s.releaseAllocations(context.WithoutCancel(rq.ctx), svc)
		return nil, err
	}
	return func() { s.releaseAllocations(context.WithoutCancel(rq.ctx), svc) }, nil
}

// admitUpdate allocates what an updated Service newly needs.
func (s *Server) admitUpdate(rq *request, next, cur runtime.Object) error {
	svc, ok := next.(*corev1.Service)
	if !ok || rq.ri.sub != "" {
		return nil
	}
	return s.allocateService(rq.ctx, svc, cur.(*corev1.Service))
}

// allocateService fills spec.clusterIP(s) and node ports of svc, reserving
// each in the store. old is the stored Service on update (nil on create).
func (s *Server) allocateService(ctx context.Context, svc, old *corev1.Service) error {
	owner := allocationOwner(svc)
	errs := s.allocateClusterIPs(ctx, svc, old, owner)
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		noAlloc := svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.AllocateLoadBalancerNodePorts != nil &&
			!*svc.Spec.AllocateLoadBalancerNodePorts
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if noAlloc && p.NodePort == 0 {
				continue // allocateLoadBalancerNodePorts: false; ports given explicitly are still reserved
			}
			port, err := s.allocateNodePort(ctx, p.NodePort, owner)
			if err != nil {
				errs = append(errs, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), p.NodePort, err.Error()))
				continue
			}
			p.NodePort = port
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
	}
	return nil
}

// allocateNodePort reserves want (if non-zero) or a free port in range.
func (s *Server) allocateNodePort(ctx context.Context, want int32, owner string) (int32, error) {
	lo, hi := int32(s.cfg.NodePortMin), int32(s.cfg.NodePortMax)
	reserve := func(p int32) error {
		return s.store.Reserve(ctx, nodePortKeyPrefix+strconv.Itoa(int(p)), owner)
	}
	if want != 0 {
		if want < lo || want > hi {
			return 0, fmt.Errorf("provided port is not in the valid range. The range of valid ports is %d-%d", lo, hi)
		}
		if err := reserve(want); err != nil {
			if errors.Is(err, storage.ErrExists) {
				return 0, fmt.Errorf("provided port is already allocated")
			}
			return 0, err
		}
		return want, nil
	}
	n := hi - lo + 1
	start := rand.Int32N(n)
	for i := range n {
		p := lo + (start+i)%n
		err := reserve(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, storage.ErrExists) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("range is full")
}

// releaseAllocations frees what a deleted object held.
func (s *Server) releaseAllocations(ctx context.Context, obj runtime.Object) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	owner := allocationOwner(svc)
	var keys []string
	for _, ip := range svc.Spec.ClusterIPs {
		if ip != corev1.ClusterIPNone && ip != "" {
			keys = append(keys, clusterIPKeyPrefix+ip)
		}
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			keys = append(keys, nodePortKeyPrefix+strconv.Itoa(int(p.NodePort)))
		}
	}
	for _, k := range keys {
		if err := s.store.Release(ctx, k, owner); err != nil {
			s.log.Warn("release allocation", "key", k, "err", err)
		}
	}
}
