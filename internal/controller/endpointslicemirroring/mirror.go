package endpointslicemirroring

import (
	"maps"
	"net"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/controller/endpointslice"
)

const (
	// ControllerName is the managed-by label value of mirrored slices.
	ControllerName = "endpointslicemirroring-controller.k8s.io"
	// MaxEndpointsPerSubset is how many addresses of one subset are
	// mirrored; it is also the capacity of a mirrored slice, so a subset
	// maps to one slice per address type.
	MaxEndpointsPerSubset = 1000
	// leaderAnnotation marks Endpoints used as leader-election locks.
	leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"
)

// ShouldMirror reports whether ep is mirrored (its Service, svc, must exist
// and have no selector).
func ShouldMirror(ep *corev1.Endpoints, svc *corev1.Service) bool {
	if ep == nil || svc == nil || svc.Spec.Selector != nil {
		return false
	}
	if ep.Labels[discoveryv1.LabelSkipMirror] == "true" {
		return false
	}
	_, leader := ep.Annotations[leaderAnnotation]
	return !leader
}

// Mirrored is what one Endpoints mirrors to, by address type.
type Mirrored struct {
	Desired map[discoveryv1.AddressType]endpointslice.Desired
	// Skipped counts addresses not mirrored: invalid IPs and those past
	// MaxEndpointsPerSubset in a subset.
	Skipped int
}

// Mirror maps ep's subsets to desired endpoints per address type, grouped by
// each subset's ports.
func Mirror(ep *corev1.Endpoints) Mirrored {
	m := Mirrored{Desired: map[discoveryv1.AddressType]endpointslice.Desired{}}
	for _, ss := range ep.Subsets {
		ports := slicePorts(ss.Ports)
		key := endpointslice.PortKey(ports)
		added := 0
		add := func(a corev1.EndpointAddress, ready bool) {
			ip := net.ParseIP(a.IP)
			if ip == nil || added >= MaxEndpointsPerSubset {
				m.Skipped++
				return
			}
			at := discoveryv1.AddressTypeIPv4
			if ip.To4() == nil {
				at = discoveryv1.AddressTypeIPv6
			}
			d := m.Desired[at]
			if d == nil {
				d = endpointslice.Desired{}
				m.Desired[at] = d
			}
			g := d[key]
			if g == nil {
				g = &endpointslice.Group{Ports: ports}
				d[key] = g
			}
			g.Endpoints = append(g.Endpoints, addressEndpoint(a, ready))
			added++
		}
		for _, a := range ss.Addresses {
			add(a, true)
		}
		for _, a := range ss.NotReadyAddresses {
			add(a, false)
		}
	}
	return m
}

func slicePorts(in []corev1.EndpointPort) []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(in))
	for _, p := range in {
		name, port, proto := p.Name, p.Port, p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		out = append(out, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto, AppProtocol: p.AppProtocol})
	}
	return out
}

func addressEndpoint(a corev1.EndpointAddress, ready bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{a.IP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}
	if a.TargetRef != nil {
		e.TargetRef = a.TargetRef.DeepCopy()
	}
	if a.NodeName != nil {
		n := *a.NodeName
		e.NodeName = &n
	}
	if a.Hostname != "" {
		h := a.Hostname
		e.Hostname = &h
	}
	return e
}

// Labels are the labels of ep's mirrored slices: ep's own, then the
// service name and manager.
func Labels(ep *corev1.Endpoints) map[string]string {
	out := maps.Clone(ep.Labels)
	if out == nil {
		out = map[string]string{}
	}
	out[discoveryv1.LabelServiceName] = ep.Name
	out[discoveryv1.LabelManagedBy] = ControllerName
	return out
}

// Annotations are ep's annotations less the trigger time and
// last-applied-configuration.
func Annotations(ep *corev1.Endpoints) map[string]string {
	out := maps.Clone(ep.Annotations)
	if out == nil {
		out = map[string]string{}
	}
	delete(out, corev1.EndpointsLastChangeTriggerTime)
	delete(out, corev1.LastAppliedConfigAnnotation)
	return out
}

// NewSlice is an empty mirrored slice of ep.
func NewSlice(ep *corev1.Endpoints, at discoveryv1.AddressType, ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	ref := metav1.NewControllerRef(ep, corev1.SchemeGroupVersion.WithKind("Endpoints"))
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{GenerateName: ep.Name + "-", Namespace: ep.Namespace,
			OwnerReferences: []metav1.OwnerReference{*ref}},
		AddressType: at,
		Ports:       ports,
	}
}

// Plan computes the writes that make existing (this controller's live
// slices for ep's name) mirror ep; a nil ep (or one not to mirror) deletes
// them all. Slices owned by another object are deleted.
func Plan(ep *corev1.Endpoints, existing []*discoveryv1.EndpointSlice) (endpointslice.Plan, int) {
	var p endpointslice.Plan
	if ep == nil {
		p.Delete = existing
		return p, 0
	}
	m := Mirror(ep)
	byType := map[discoveryv1.AddressType][]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		ref := metav1.GetControllerOfNoCopy(s)
		if ref == nil || ref.UID != ep.UID {
			p.Delete = append(p.Delete, s)
			continue
		}
		if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
			p.Delete = append(p.Delete, s)
			continue
		}
		byType[s.AddressType] = append(byType[s.AddressType], s)
	}
	lbls, ann := Labels(ep), Annotations(ep)
	for _, at := range []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6} {
		tp := endpointslice.PlanSlices(endpointslice.PlanInput{Existing: byType[at], Desired: m.Desired[at],
			Max: MaxEndpointsPerSubset, Labels: lbls, Annotations: ann,
			New: func(ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice { return NewSlice(ep, at, ports) }})
		p.Create, p.Update, p.Delete = append(p.Create, tp.Create...), append(p.Update, tp.Update...), append(p.Delete, tp.Delete...)
	}
	return p, m.Skipped
}
