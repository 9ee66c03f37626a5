package endpointslice

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PodReady reports whether the pod's Ready condition is True.
func PodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// IncludePod reports whether pod may back a Service at all, as upstream: it
// is not in a terminal phase (Succeeded, Failed), has an IP, and is not
// terminating (unless includeTerminating).
func IncludePod(pod *corev1.Pod, includeTerminating bool) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.Status.PodIP == "" && len(pod.Status.PodIPs) == 0 {
		return false
	}
	return includeTerminating || pod.DeletionTimestamp == nil
}

// FindPort resolves a Service port's targetPort on pod: a number is taken as
// is, a name is looked up among the container ports (regular containers,
// then restartable init containers) with the Service port's protocol.
func FindPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, error) {
	tp := sp.TargetPort
	if tp.Type == intstr.Int {
		if tp.IntVal == 0 {
			return sp.Port, nil
		}
		return tp.IntVal, nil
	}
	if tp.StrVal == "" {
		return sp.Port, nil
	}
	match := func(cs []corev1.Container, sidecarsOnly bool) (int32, bool) {
		for _, c := range cs {
			if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
				continue
			}
			for _, p := range c.Ports {
				proto := p.Protocol
				if proto == "" {
					proto = corev1.ProtocolTCP
				}
				if p.Name == tp.StrVal && proto == protocolOf(sp) {
					return p.ContainerPort, true
				}
			}
		}
		return 0, false
	}
	if n, ok := match(pod.Spec.Containers, false); ok {
		return n, nil
	}
	if n, ok := match(pod.Spec.InitContainers, true); ok {
		return n, nil
	}
	return 0, fmt.Errorf("no container port named %q (%s) in pod %s/%s", tp.StrVal, protocolOf(sp), pod.Namespace, pod.Name)
}

func protocolOf(sp *corev1.ServicePort) corev1.Protocol {
	if sp.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return sp.Protocol
}

// Hostname is the DNS hostname a pod gets under svc: pod.spec.hostname
// when the pod's subdomain is the Service's name in the same namespace.
func Hostname(pod *corev1.Pod, svc *corev1.Service) string {
	if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name && pod.Namespace == svc.Namespace {
		return pod.Spec.Hostname
	}
	return ""
}

// PodIPs returns the pod's IPs of family, in the pod's order.
func PodIPs(pod *corev1.Pod, family corev1.IPFamily) []string {
	ips := make([]string, 0, 2)
	for _, p := range pod.Status.PodIPs {
		ips = append(ips, p.IP)
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = append(ips, pod.Status.PodIP)
	}
	var out []string
	for _, ip := range ips {
		if familyOf(ip) == family {
			out = append(out, ip)
		}
	}
	return out
}

// familyOf returns the family of ip; unparsable addresses count as IPv4.
func familyOf(ip string) corev1.IPFamily {
	p := net.ParseIP(ip)
	if p != nil && p.To4() == nil {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// ServiceFamilies returns the IP families a Service's endpoints are
// published in: spec.ipFamilies, else the family of its clusterIP, else
// (headless without families) the family of podIP fallback, IPv4.
func ServiceFamilies(svc *corev1.Service) []corev1.IPFamily {
	if len(svc.Spec.IPFamilies) > 0 {
		return svc.Spec.IPFamilies
	}
	if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
		return []corev1.IPFamily{familyOf(ip)}
	}
	return []corev1.IPFamily{corev1.IPv4Protocol}
}

// Headless reports whether svc has no cluster IP.
func Headless(svc *corev1.Service) bool { return svc.Spec.ClusterIP == corev1.ClusterIPNone }
