package core

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// defaultClientIPTimeoutSeconds is upstream's ClientIP session affinity
// timeout (3 hours).
const defaultClientIPTimeoutSeconds int32 = 10800

// DefaultService applies upstream's Service defaults: sessionAffinity None,
// type ClusterIP, port protocol TCP, targetPort = port, traffic policies
// Cluster, and allocateLoadBalancerNodePorts true for LoadBalancers.
// IP families and cluster IPs are left to the allocator.
func DefaultService(svc *v1.Service) {
	spec := &svc.Spec
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = v1.ServiceAffinityNone
	}
	if spec.SessionAffinity == v1.ServiceAffinityClientIP &&
		(spec.SessionAffinityConfig == nil || spec.SessionAffinityConfig.ClientIP == nil || spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil) {
		timeout := defaultClientIPTimeoutSeconds
		spec.SessionAffinityConfig = &v1.SessionAffinityConfig{ClientIP: &v1.ClientIPConfig{TimeoutSeconds: &timeout}}
	}
	if spec.Type == "" {
		spec.Type = v1.ServiceTypeClusterIP
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = v1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if (spec.Type == v1.ServiceTypeNodePort || spec.Type == v1.ServiceTypeLoadBalancer) && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyCluster
	}
	if spec.Type != v1.ServiceTypeExternalName && spec.InternalTrafficPolicy == nil {
		cluster := v1.ServiceInternalTrafficPolicyCluster
		spec.InternalTrafficPolicy = &cluster
	}
	if spec.Type == v1.ServiceTypeLoadBalancer && spec.AllocateLoadBalancerNodePorts == nil {
		allocate := true
		spec.AllocateLoadBalancerNodePorts = &allocate
	}
}

// PrepareServiceForUpdate carries the allocated values of old (cluster IPs,
// IP families, node ports, health check node port) into svc where svc leaves
// them empty and the type still needs them, as upstream's update strategy
// does before validation, so that `kubectl apply` of a manifest without
// clusterIP is not rejected as an immutable-field change.
func PrepareServiceForUpdate(svc, old *v1.Service) {
	dropIPFamiliesForExternalName(svc, old)
	if svc.Spec.Type != v1.ServiceTypeExternalName && old.Spec.Type != v1.ServiceTypeExternalName {
		if svc.Spec.ClusterIP == "" {
			svc.Spec.ClusterIP = old.Spec.ClusterIP
		}
		if len(svc.Spec.ClusterIPs) == 0 && svc.Spec.ClusterIP == old.Spec.ClusterIP {
			svc.Spec.ClusterIPs = append([]string(nil), old.Spec.ClusterIPs...)
		}
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = append([]v1.IPFamily(nil), old.Spec.IPFamilies...)
		}
		if svc.Spec.IPFamilyPolicy == nil && old.Spec.IPFamilyPolicy != nil {
			policy := *old.Spec.IPFamilyPolicy
			svc.Spec.IPFamilyPolicy = &policy
		}
	}
	if needsNodePorts(svc) && needsNodePorts(old) {
		for i := range svc.Spec.Ports {
			np := &svc.Spec.Ports[i]
			if np.NodePort != 0 {
				continue
			}
			for _, op := range old.Spec.Ports {
				if op.Port == np.Port && op.Protocol == np.Protocol {
					np.NodePort = op.NodePort
				}
			}
		}
	}
	if svc.Spec.HealthCheckNodePort == 0 && needsHealthCheckNodePort(svc) && needsHealthCheckNodePort(old) {
		svc.Spec.HealthCheckNodePort = old.Spec.HealthCheckNodePort
	}
}

func needsNodePorts(svc *v1.Service) bool {
	switch svc.Spec.Type {
	case v1.ServiceTypeNodePort:
		return true
	case v1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func needsHealthCheckNodePort(svc *v1.Service) bool {
	return svc.Spec.Type == v1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal
}
