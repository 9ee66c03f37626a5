package endpointslice

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Group is the set of endpoints that share one port set: they go into slices
// with exactly these ports.
type Group struct {
	Ports     []discoveryv1.EndpointPort
	Endpoints []discoveryv1.Endpoint
}

// Desired is what one address type of a Service should publish, by port key.
type Desired map[string]*Group

// add puts ep under ports.
func (d Desired) add(ports []discoveryv1.EndpointPort, ep discoveryv1.Endpoint) {
	k := PortKey(ports)
	g, ok := d[k]
	if !ok {
		g = &Group{Ports: ports}
		d[k] = g
	}
	g.Endpoints = append(g.Endpoints, ep)
}

// NodeLookup returns the node of a name; ok is false when it does not exist.
type NodeLookup func(name string) (node *corev1.Node, ok bool)

// AddressType maps an IP family to an EndpointSlice address type.
func AddressType(f corev1.IPFamily) discoveryv1.AddressType {
	if f == corev1.IPv6Protocol {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// DesiredEndpoints computes, for one IP family of svc, the endpoints the
// pods (already matched by the selector) should publish, grouped by their
// resolved port set. Pods whose node does not exist are left out (unless
// publishNotReadyAddresses) and named in skipped, so the caller retries.
func DesiredEndpoints(svc *corev1.Service, pods []*corev1.Pod, nodes NodeLookup, family corev1.IPFamily) (d Desired, skipped []string) {
	d = Desired{}
	for _, pod := range pods {
		if !IncludePod(pod, true) {
			continue
		}
		ips := PodIPs(pod, family)
		if len(ips) == 0 {
			continue
		}
		var node *corev1.Node
		if pod.Spec.NodeName != "" {
			n, ok := nodes(pod.Spec.NodeName)
			if !ok && !svc.Spec.PublishNotReadyAddresses {
				skipped = append(skipped, pod.Name)
				continue
			}
			node = n
		}
		d.add(EndpointPorts(svc, pod), podEndpoint(svc, pod, node, ips))
	}
	return d, skipped
}

// EndpointPorts resolves every Service port on pod, leaving out ports whose
// named targetPort the pod does not have.
func EndpointPorts(svc *corev1.Service, pod *corev1.Pod) []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(svc.Spec.Ports))
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		n, err := FindPort(pod, sp)
		if err != nil {
			continue
		}
		name, proto := sp.Name, protocolOf(sp)
		out = append(out, discoveryv1.EndpointPort{Name: &name, Port: &n, Protocol: &proto, AppProtocol: sp.AppProtocol})
	}
	return out
}

// podEndpoint is pod's endpoint. Serving follows readiness; a terminating
// pod is never ready unless the Service publishes not-ready addresses.
func podEndpoint(svc *corev1.Service, pod *corev1.Pod, node *corev1.Node, ips []string) discoveryv1.Endpoint {
	serving := PodReady(pod)
	terminating := pod.DeletionTimestamp != nil
	ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
	ep := discoveryv1.Endpoint{
		Addresses:  ips,
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		nn := pod.Spec.NodeName
		ep.NodeName = &nn
	}
	if node != nil {
		if z := node.Labels[corev1.LabelTopologyZone]; z != "" {
			ep.Zone = &z
		}
	}
	if h := Hostname(pod, svc); h != "" {
		ep.Hostname = &h
	}
	return ep
}

// PortKey identifies a port set regardless of order.
func PortKey(ports []discoveryv1.EndpointPort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s/%s/%d/%s", deref(p.Name), derefProto(p.Protocol), derefInt(p.Port), deref(p.AppProtocol)))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// EndpointKey identifies an endpoint across syncs: its target and addresses.
func EndpointKey(ep *discoveryv1.Endpoint) string {
	var ref string
	if ep.TargetRef != nil {
		ref = ep.TargetRef.Namespace + "/" + ep.TargetRef.Name
	}
	return ref + "|" + strings.Join(ep.Addresses, ",")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefProto(p *corev1.Protocol) corev1.Protocol {
	if p == nil {
		return corev1.ProtocolTCP
	}
	return *p
}

func derefInt(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
