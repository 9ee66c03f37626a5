package dns

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Name and namespace of the cluster DNS Service, as upstream.
const (
	ServiceNamespace = metav1.NamespaceSystem
	ServiceName      = "kube-dns"
)

// ServiceObject returns the kube-system/kube-dns Service with the given
// ClusterIP: ports 53/UDP "dns", 53/TCP "dns-tcp" and 9153/TCP "metrics",
// the upstream labels, and no selector (the DNS server is not a pod).
func ServiceObject(clusterIP string) *corev1.Service {
	port := func(name string, proto corev1.Protocol, n int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Protocol: proto, Port: n, TargetPort: intstr.FromInt32(n)}
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ServiceName,
			Namespace: ServiceNamespace,
			Labels: map[string]string{
				"k8s-app":                       "kube-dns",
				"kubernetes.io/cluster-service": "true",
				"kubernetes.io/name":            "KubeDNS",
			},
			Annotations: map[string]string{
				"prometheus.io/port":   "9153",
				"prometheus.io/scrape": "true",
			},
		},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: clusterIP,
			Ports: []corev1.ServicePort{
				port("dns", corev1.ProtocolUDP, 53),
				port("dns-tcp", corev1.ProtocolTCP, 53),
				port("metrics", corev1.ProtocolTCP, 9153),
			},
		},
	}
}

// EnsureService creates kube-system/kube-dns with clusterIP unless it
// exists. An existing Service with another ClusterIP is an error: its IP
// cannot change and pods' resolv.conf would point at the wrong address.
func EnsureService(ctx context.Context, client kubernetes.Interface, clusterIP string) error {
	svcs := client.CoreV1().Services(ServiceNamespace)
	existing, err := svcs.Get(ctx, ServiceName, metav1.GetOptions{})
	switch {
	case err == nil:
		return checkClusterIP(existing, clusterIP)
	case !apierrors.IsNotFound(err):
		return fmt.Errorf("get service %s/%s: %w", ServiceNamespace, ServiceName, err)
	}
	_, err = svcs.Create(ctx, ServiceObject(clusterIP), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		if existing, err = svcs.Get(ctx, ServiceName, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("get service %s/%s: %w", ServiceNamespace, ServiceName, err)
		}
		return checkClusterIP(existing, clusterIP)
	}
	if err != nil {
		return fmt.Errorf("create service %s/%s: %w", ServiceNamespace, ServiceName, err)
	}
	return nil
}

func checkClusterIP(svc *corev1.Service, want string) error {
	if svc.Spec.ClusterIP != want {
		return fmt.Errorf("service %s/%s has cluster IP %s, want %s", svc.Namespace, svc.Name, svc.Spec.ClusterIP, want)
	}
	return nil
}

// EnsureEndpoints points the selector-less kube-dns Service at the DNS
// servers listening on addrs:port (the servers' own addresses), writing the
// Endpoints object the EndpointSlice mirroring controller turns into slices.
func EnsureEndpoints(ctx context.Context, client kubernetes.Interface, addrs []string, port int32) error {
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: ServiceName, Namespace: ServiceNamespace, Labels: map[string]string{"k8s-app": "kube-dns"}},
		Subsets: []corev1.EndpointSubset{{Ports: []corev1.EndpointPort{
			{Name: "dns", Port: port, Protocol: corev1.ProtocolUDP},
			{Name: "dns-tcp", Port: port, Protocol: corev1.ProtocolTCP},
		}}},
	}
	for _, a := range addrs {
		ep.Subsets[0].Addresses = append(ep.Subsets[0].Addresses, corev1.EndpointAddress{IP: a})
	}
	eps := client.CoreV1().Endpoints(ServiceNamespace)
	cur, err := eps.Get(ctx, ServiceName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = eps.Create(ctx, ep, metav1.CreateOptions{})
	case err == nil:
		cur.Subsets, cur.Labels = ep.Subsets, ep.Labels
		_, err = eps.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("write endpoints %s/%s: %w", ServiceNamespace, ServiceName, err)
	}
	return nil
}
