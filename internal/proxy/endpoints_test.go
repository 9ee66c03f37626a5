package proxy

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

func TestUsable(t *testing.T) {
	ready := endpoint{IP: "10.0.0.1", Ready: true, Serving: true}
	draining := endpoint{IP: "10.0.0.2", Serving: true, Terminating: true}
	gone := endpoint{IP: "10.0.0.3", Terminating: true}
	notReady := endpoint{IP: "10.0.0.4"}
	for _, tc := range []struct {
		name string
		in   []endpoint
		want []endpoint
	}{
		{"none", nil, nil},
		{"ready wins over terminating", []endpoint{draining, ready, gone}, []endpoint{ready}},
		{"serving terminating as fallback", []endpoint{draining, gone, notReady}, []endpoint{draining}},
		{"not ready and not serving", []endpoint{gone, notReady}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := usable(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("usable = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCategorize(t *testing.T) {
	localReady := endpoint{IP: "10.0.0.1", NodeName: "a", Ready: true, Serving: true}
	remoteReady := endpoint{IP: "10.0.0.2", NodeName: "b", Ready: true, Serving: true}
	localDraining := endpoint{IP: "10.0.0.3", NodeName: "a", Serving: true, Terminating: true}
	for _, tc := range []struct {
		name        string
		node        string
		in          []endpoint
		wantCluster []endpoint
		wantLocal   []endpoint
	}{
		{"local and remote", "a", []endpoint{localReady, remoteReady}, []endpoint{localReady, remoteReady}, []endpoint{localReady}},
		{"only remote", "a", []endpoint{remoteReady}, []endpoint{remoteReady}, nil},
		// Locally the only endpoint is terminating, so it is the local
		// fallback even though the cluster has a ready one.
		{"local fallback separate from cluster", "a", []endpoint{localDraining, remoteReady}, []endpoint{remoteReady}, []endpoint{localDraining}},
		{"no node name: nothing is local", "", []endpoint{localReady}, []endpoint{localReady}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := categorize(tc.in, tc.node)
			if !reflect.DeepEqual(got.Cluster, tc.wantCluster) || !reflect.DeepEqual(got.Local, tc.wantLocal) {
				t.Errorf("categorize = %+v, want cluster %+v local %+v", got, tc.wantCluster, tc.wantLocal)
			}
		})
	}
}

func TestPortEndpoints(t *testing.T) {
	sp := corev1.ServicePort{Name: "http", Protocol: corev1.ProtocolTCP}
	slice := func(name string, proto corev1.Protocol, port int32, addrs ...string) *discoveryv1.EndpointSlice {
		s := &discoveryv1.EndpointSlice{
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(name), Protocol: ptr.To(proto), Port: ptr.To(port)}},
		}
		for _, a := range addrs {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}})
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		slices []*discoveryv1.EndpointSlice
		want   []string
	}{
		{"matches name and protocol", []*discoveryv1.EndpointSlice{
			slice("http", corev1.ProtocolTCP, 80, "10.0.0.9", "10.0.0.10"),
			slice("http", corev1.ProtocolUDP, 81, "10.0.0.1"),
			slice("other", corev1.ProtocolTCP, 82, "10.0.0.2"),
		}, []string{"10.0.0.9:80", "10.0.0.10:80"}},
		{"duplicates merged, numeric order", []*discoveryv1.EndpointSlice{
			slice("http", corev1.ProtocolTCP, 80, "10.0.0.20", "10.0.0.3"),
			slice("http", corev1.ProtocolTCP, 80, "10.0.0.3"),
		}, []string{"10.0.0.3:80", "10.0.0.20:80"}},
		{"bad and IPv6 addresses skipped", []*discoveryv1.EndpointSlice{
			slice("http", corev1.ProtocolTCP, 80, "fd00::1", "bogus", "10.0.0.1"),
		}, []string{"10.0.0.1:80"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range portEndpoints(tc.slices, sp) {
				got = append(got, e.key())
				if !e.Ready || !e.Serving || e.Terminating {
					t.Errorf("%s: unset conditions read as ready=%v serving=%v terminating=%v", e.key(), e.Ready, e.Serving, e.Terminating)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
