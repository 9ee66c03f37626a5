package endpoints

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/controller/endpointslice"
)

const (
	// MaxCapacity is how many addresses an Endpoints holds at most.
	MaxCapacity = 1000
	// ManagedByLabel marks the Endpoints this controller writes.
	ManagedByLabel = "endpoints.kubernetes.io/managed-by"
	// ControllerName is the ManagedByLabel value.
	ControllerName = "endpoint-controller"
	// truncated is the over-capacity annotation value.
	truncated = "truncated"
)

// Subsets computes the subsets of svc's Endpoints from the pods its selector
// matches, sorted (subsets by ports, addresses by IP).
func Subsets(svc *corev1.Service, pods []*corev1.Pod) []corev1.EndpointSubset {
	publish := svc.Spec.PublishNotReadyAddresses
	byPorts := map[string]*corev1.EndpointSubset{}
	for _, pod := range pods {
		if !endpointslice.IncludePod(pod, publish) {
			continue
		}
		addr, ok := podAddress(svc, pod)
		if !ok {
			continue
		}
		var ports []corev1.EndpointPort
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			n, err := endpointslice.FindPort(pod, sp)
			if err != nil {
				continue
			}
			proto := sp.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: n, Protocol: proto, AppProtocol: sp.AppProtocol})
		}
		if len(ports) == 0 && (len(svc.Spec.Ports) > 0 || !endpointslice.Headless(svc)) {
			continue
		}
		sortPorts(ports)
		k := portsKey(ports)
		ss, ok := byPorts[k]
		if !ok {
			ss = &corev1.EndpointSubset{Ports: ports}
			byPorts[k] = ss
		}
		if publish || endpointslice.PodReady(pod) {
			ss.Addresses = append(ss.Addresses, addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, addr)
		}
	}
	out := make([]corev1.EndpointSubset, 0, len(byPorts))
	for _, k := range slices.Sorted(maps.Keys(byPorts)) {
		out = append(out, *byPorts[k])
	}
	return Normalize(out)
}

// podAddress is pod's address in the Service's primary IP family (for a
// headless Service without families, the family of the pod's first IP).
func podAddress(svc *corev1.Service, pod *corev1.Pod) (corev1.EndpointAddress, bool) {
	family := endpointslice.ServiceFamilies(svc)[0]
	if len(svc.Spec.IPFamilies) == 0 && endpointslice.Headless(svc) && strings.Contains(pod.Status.PodIP, ":") {
		family = corev1.IPv6Protocol
	}
	ips := endpointslice.PodIPs(pod, family)
	if len(ips) == 0 {
		return corev1.EndpointAddress{}, false
	}
	a := corev1.EndpointAddress{IP: ips[0], Hostname: endpointslice.Hostname(pod, svc),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}}
	if pod.Spec.NodeName != "" {
		n := pod.Spec.NodeName
		a.NodeName = &n
	}
	return a, true
}

func portsKey(ports []corev1.EndpointPort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		app := ""
		if p.AppProtocol != nil {
			app = *p.AppProtocol
		}
		parts = append(parts, fmt.Sprintf("%s/%s/%d/%s", p.Name, p.Protocol, p.Port, app))
	}
	return strings.Join(parts, ",")
}

func sortPorts(ports []corev1.EndpointPort) {
	slices.SortFunc(ports, func(a, b corev1.EndpointPort) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol))
	})
}

func sortAddresses(as []corev1.EndpointAddress) {
	slices.SortFunc(as, func(a, b corev1.EndpointAddress) int {
		var ua, ub string
		if a.TargetRef != nil {
			ua = string(a.TargetRef.UID)
		}
		if b.TargetRef != nil {
			ub = string(b.TargetRef.UID)
		}
		return cmp.Or(cmp.Compare(a.IP, b.IP), cmp.Compare(ua, ub))
	})
}

// Normalize returns a sorted deep copy of subsets, so two lists that differ
// only in order compare equal.
func Normalize(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	out := make([]corev1.EndpointSubset, len(subsets))
	for i := range subsets {
		s := *subsets[i].DeepCopy()
		sortPorts(s.Ports)
		sortAddresses(s.Addresses)
		sortAddresses(s.NotReadyAddresses)
		out[i] = s
	}
	slices.SortFunc(out, func(a, b corev1.EndpointSubset) int { return cmp.Compare(portsKey(a.Ports), portsKey(b.Ports)) })
	return out
}

// Truncate caps subsets at MaxCapacity addresses, as upstream: not-ready
// addresses go first; when the ready ones alone are too many, only ready
// ones are kept. Each subset keeps its proportional share. It reports
// whether it dropped anything; subsets is modified in place.
func Truncate(subsets []corev1.EndpointSubset) bool {
	ready, notReady := 0, 0
	for _, s := range subsets {
		ready += len(s.Addresses)
		notReady += len(s.NotReadyAddresses)
	}
	if ready+notReady <= MaxCapacity {
		return false
	}
	if ready > MaxCapacity {
		quota := shares(subsets, func(s *corev1.EndpointSubset) int { return len(s.Addresses) }, ready, MaxCapacity)
		for i := range subsets {
			subsets[i].Addresses = subsets[i].Addresses[:quota[i]]
			subsets[i].NotReadyAddresses = nil
		}
		return true
	}
	quota := shares(subsets, func(s *corev1.EndpointSubset) int { return len(s.NotReadyAddresses) }, notReady, MaxCapacity-ready)
	for i := range subsets {
		subsets[i].NotReadyAddresses = subsets[i].NotReadyAddresses[:quota[i]]
	}
	return true
}

// shares splits budget over the subsets in proportion to size(subset),
// handing the rounding remainder to the first subsets that have room.
func shares(subsets []corev1.EndpointSubset, size func(*corev1.EndpointSubset) int, total, budget int) []int {
	q := make([]int, len(subsets))
	used := 0
	for i := range subsets {
		q[i] = size(&subsets[i]) * budget / total
		used += q[i]
	}
	for i := 0; used < budget && i < len(subsets); i++ {
		if q[i] < size(&subsets[i]) {
			q[i]++
			used++
		}
	}
	return q
}
