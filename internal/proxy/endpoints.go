package proxy

import (
	"encoding/binary"
	"net"
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

	order uint32 // the address as a number, for sorting
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
func portEndpoints(slices []*discoveryv1.EndpointSlice, sp corev1.ServicePort) []endpoint {
	seen := make(map[string]bool)
	var out []endpoint
	for _, slice := range slices {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		port, ok := slicePort(slice, sp)
		if !ok {
			continue
		}
		for _, ep := range slice.Endpoints {
			e, ok := toEndpoint(ep, port)
			if !ok || seen[e.key()] {
				continue
			}
			seen[e.key()] = true
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].order != out[j].order {
			return out[i].order < out[j].order
		}
		return out[i].Port < out[j].Port
	})
	return out
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
func toEndpoint(ep discoveryv1.Endpoint, port int32) (endpoint, bool) {
	if len(ep.Addresses) == 0 {
		return endpoint{}, false
	}
	ip := net.ParseIP(ep.Addresses[0]).To4()
	if ip == nil {
		return endpoint{}, false
	}
	e := endpoint{IP: ip.String(), Port: port, Ready: true, Serving: true, order: binary.BigEndian.Uint32(ip)}
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
	var ready, terminating []endpoint
	for _, e := range eps {
		switch {
		case e.Ready:
			ready = append(ready, e)
		case e.Serving && e.Terminating:
			terminating = append(terminating, e)
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return terminating
}
