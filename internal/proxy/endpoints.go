package proxy

import (
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpoint is one backend of one service port, as read from an EndpointSlice.
type endpoint struct {
	IP          string
	Port        int32
	NodeName    string
	Ready       bool
	Serving     bool
	Terminating bool

	order netip.Addr // the address, for sorting
}

// key is the endpoint's "ip:port", unique within a service port.
func (e endpoint) key() string {
	return net.JoinHostPort(e.IP, strconv.Itoa(int(e.Port)))
}

// endpointSet is the result of sorting a service port's endpoints into the
// groups the ruleset needs, following upstream's rules: ready endpoints are
// used when there are any; otherwise serving-and-terminating endpoints are a
// fallback, so that connections keep working while a rollout finishes.
type endpointSet struct {
	// Cluster holds the usable endpoints on any node.
	Cluster []endpoint
	// Local holds the usable endpoints on this node (the same fallback rule
	// applied to the local endpoints alone).
	Local []endpoint
}

// Any reports whether the service port has any usable endpoint at all.
func (s endpointSet) Any() bool { return len(s.Cluster) > 0 }

// portEndpoints collects the IPv4 endpoints of one service port from the
// slices that belong to the service (the caller filters by service). A slice
// port matches a service port by name and protocol. Duplicates (the same
// address in two slices during a transition) are merged, keeping the first.
// The result is sorted by address and port.
func portEndpoints(ss []*discoveryv1.EndpointSlice, sp corev1.ServicePort) []endpoint {
	return familyPortEndpoints(ss, sp, Config{}.family())
}

// familyPortEndpoints is portEndpoints for the slices of family fam.
func familyPortEndpoints(ss []*discoveryv1.EndpointSlice, sp corev1.ServicePort, fam family) []endpoint {
	n := 0
	for _, slice := range ss {
		n += len(slice.Endpoints)
	}
	out := make([]endpoint, 0, n)
	for _, slice := range ss {
		if slice.AddressType != fam.sliceType {
			continue
		}
		port, ok := slicePort(slice, sp)
		if !ok {
			continue
		}
		for _, ep := range slice.Endpoints {
			if e, ok := toEndpoint(ep, port, fam); ok {
				out = append(out, e)
			}
		}
	}
	// A stable sort keeps duplicates in slice order, so compacting keeps
	// the first; no map, no key strings.
	sort.SliceStable(out, func(i, j int) bool {
		if c := out[i].order.Compare(out[j].order); c != 0 {
			return c < 0
		}
		return out[i].Port < out[j].Port
	})
	return slices.CompactFunc(out, func(a, b endpoint) bool { return a.order == b.order && a.Port == b.Port })
}

// slicePort finds the port of slice that serves sp.
func slicePort(slice *discoveryv1.EndpointSlice, sp corev1.ServicePort) (int32, bool) {
	for _, p := range slice.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if name == sp.Name && proto == sp.Protocol && p.Port != nil && *p.Port > 0 {
			return *p.Port, true
		}
	}
	return 0, false
}

// toEndpoint reads one slice endpoint. Unset conditions take upstream's
// meanings: ready and serving default to true, terminating to false.
func toEndpoint(ep discoveryv1.Endpoint, port int32, fam family) (endpoint, bool) {
	if len(ep.Addresses) == 0 {
		return endpoint{}, false
	}
	text, addr, ok := fam.parseAddr(ep.Addresses[0])
	if !ok {
		return endpoint{}, false
	}
	e := endpoint{IP: text, Port: port, Ready: true, Serving: true, order: addr}
	if ep.NodeName != nil {
		e.NodeName = *ep.NodeName
	}
	if c := ep.Conditions.Ready; c != nil {
		e.Ready = *c
	}
	if c := ep.Conditions.Serving; c != nil {
		e.Serving = *c
	} else {
		e.Serving = e.Ready
	}
	if c := ep.Conditions.Terminating; c != nil {
		e.Terminating = *c
	}
	return e, true
}

// categorize splits endpoints into the cluster-wide and node-local usable
// sets.
func categorize(eps []endpoint, nodeName string) endpointSet {
	var local []endpoint
	for _, e := range eps {
		if nodeName != "" && e.NodeName == nodeName {
			local = append(local, e)
		}
	}
	return endpointSet{Cluster: usable(eps), Local: usable(local)}
}

// usable returns the ready endpoints, or if there are none the endpoints that
// are serving while terminating.
func usable(eps []endpoint) []endpoint {
	ready := 0
	for _, e := range eps {
		if e.Ready {
			ready++
		}
	}
	if ready == len(eps) {
		return eps // the common case: nothing to filter, nothing to copy
	}
	var out []endpoint
	for _, e := range eps {
		if (ready > 0 && e.Ready) || (ready == 0 && e.Serving && e.Terminating) {
			out = append(out, e)
		}
	}
	return out
}
