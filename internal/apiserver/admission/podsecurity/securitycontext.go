package podsecurity

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func allowedAppArmor(p *corev1.AppArmorProfile) bool {
	return p == nil || p.Type == corev1.AppArmorProfileTypeRuntimeDefault || p.Type == corev1.AppArmorProfileTypeLocalhost
}

func appArmor(meta *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var values []string
	pod := s.SecurityContext != nil && !allowedAppArmor(s.SecurityContext.AppArmorProfile)
	if pod {
		values = append(values, string(s.SecurityContext.AppArmorProfile.Type))
	}
	names := containerNames(s, func(c container) bool {
		if c.sc == nil || allowedAppArmor(c.sc.AppArmorProfile) {
			return false
		}
		values = append(values, string(c.sc.AppArmorProfile.Type))
		return true
	})
	values = uniqueSorted(values)
	var annotations []string
	for k, v := range meta.Annotations {
		if strings.HasPrefix(k, appArmorAnnotationPrefix) && v != "" && v != "runtime/default" && !strings.HasPrefix(v, "localhost/") {
			annotations = append(annotations, fmt.Sprintf("%s=%q", k, v))
		}
	}
	if !pod && len(names) == 0 && len(annotations) == 0 {
		return nil
	}
	slices.Sort(annotations)
	who := setters(pod, names, "")
	if len(annotations) > 0 {
		values = append(values, annotations...)
		if who != "" {
			who += " and "
		}
		who += pluralize("annotation", "annotations", len(annotations))
	}
	return &Violation{pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
		who + " must not set AppArmor profile type to " + joinQuote(values)}
}

func allowedBaselineCapability(c corev1.Capability) bool {
	switch c {
	case "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
		"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT":
		return true
	}
	return false
}

// addedBeyond collects the containers adding capabilities allowed rejects,
// and those capabilities (distinct, sorted).
func addedBeyond(s *corev1.PodSpec, allowed func(corev1.Capability) bool) (names, caps []string) {
	names = containerNames(s, func(c container) bool {
		if c.sc == nil || c.sc.Capabilities == nil {
			return false
		}
		bad := false
		for _, cp := range c.sc.Capabilities.Add {
			if !allowed(cp) {
				bad = true
				caps = append(caps, string(cp))
			}
		}
		return bad
	})
	return names, uniqueSorted(caps)
}

func capabilitiesBaseline(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	names, caps := addedBeyond(s, allowedBaselineCapability)
	if len(names) == 0 {
		return nil
	}
	return &Violation{"non-default capabilities", setters(false, names, " must not include "+joinQuote(caps)+" in securityContext.capabilities.add")}
}

func capabilitiesRestricted(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	noDrop := containerNames(s, func(c container) bool {
		return c.sc == nil || c.sc.Capabilities == nil || !slices.Contains(c.sc.Capabilities.Drop, "ALL")
	})
	adding, caps := addedBeyond(s, func(c corev1.Capability) bool { return c == "NET_BIND_SERVICE" })
	var details []string
	if len(noDrop) > 0 {
		details = append(details, setters(false, noDrop, ` must set securityContext.capabilities.drop=["ALL"]`))
	}
	if len(adding) > 0 {
		details = append(details, setters(false, adding, " must not include "+joinQuote(caps)+" in securityContext.capabilities.add"))
	}
	if len(details) == 0 {
		return nil
	}
	return &Violation{"unrestricted capabilities", strings.Join(details, "; ")}
}

func seLinuxOptions(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var types []string
	var setUser, setRole bool
	valid := func(o *corev1.SELinuxOptions) bool {
		if o == nil {
			return true
		}
		ok := true
		switch o.Type {
		case "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t":
		default:
			ok = false
			types = append(types, o.Type)
		}
		if o.User != "" {
			ok, setUser = false, true
		}
		if o.Role != "" {
			ok, setRole = false, true
		}
		return ok
	}
	pod := s.SecurityContext != nil && !valid(s.SecurityContext.SELinuxOptions)
	names := containerNames(s, func(c container) bool { return c.sc != nil && !valid(c.sc.SELinuxOptions) })
	if !pod && len(names) == 0 {
		return nil
	}
	var data []string
	if types = uniqueSorted(types); len(types) > 0 {
		data = append(data, pluralize("type", "types", len(types))+" "+joinQuote(types))
	}
	if setUser {
		data = append(data, "user may not be set")
	}
	if setRole {
		data = append(data, "role may not be set")
	}
	return &Violation{"seLinuxOptions", setters(pod, names, " set forbidden securityContext.seLinuxOptions: "+strings.Join(data, "; "))}
}

func validSeccomp(p *corev1.SeccompProfile) bool {
	return p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost
}

// seccomp evaluates seccomp profiles; requireSet also reports containers
// with no profile of their own or from the pod (restricted).
func seccomp(s *corev1.PodSpec, requireSet bool) *Violation {
	var values []string
	pod, podSet := false, false
	if s.SecurityContext != nil && s.SecurityContext.SeccompProfile != nil {
		if validSeccomp(s.SecurityContext.SeccompProfile) {
			podSet = true
		} else {
			pod = true
			values = append(values, string(s.SecurityContext.SeccompProfile.Type))
		}
	}
	var unset []string
	explicit := containerNames(s, func(c container) bool {
		if c.sc == nil || c.sc.SeccompProfile == nil {
			if requireSet && !podSet {
				unset = append(unset, c.name)
			}
			return false
		}
		if validSeccomp(c.sc.SeccompProfile) {
			return false
		}
		values = append(values, string(c.sc.SeccompProfile.Type))
		return true
	})
	if pod || len(explicit) > 0 {
		return &Violation{"seccompProfile", setters(pod, explicit, " must not set securityContext.seccompProfile.type to "+joinQuote(uniqueSorted(values)))}
	}
	if len(unset) > 0 {
		return &Violation{"seccompProfile", "pod or " + setters(false, unset, ` must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`)}
	}
	return nil
}

func seccompBaseline(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation   { return seccomp(s, false) }
func seccompRestricted(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation { return seccomp(s, true) }

func allowPrivilegeEscalation(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	names := containerNames(s, func(c container) bool {
		return c.sc == nil || c.sc.AllowPrivilegeEscalation == nil || *c.sc.AllowPrivilegeEscalation
	})
	if len(names) == 0 {
		return nil
	}
	return &Violation{"allowPrivilegeEscalation != false", setters(false, names, " must set securityContext.allowPrivilegeEscalation=false")}
}

// volumeType names the restricted source of a volume, or "" when its
// source is allowed.
func volumeType(v corev1.VolumeSource) string {
	switch {
	case v.ConfigMap != nil, v.CSI != nil, v.DownwardAPI != nil, v.EmptyDir != nil, v.Ephemeral != nil,
		v.Image != nil, v.PersistentVolumeClaim != nil, v.Projected != nil, v.Secret != nil:
		return ""
	case v.HostPath != nil:
		return "hostPath"
	case v.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case v.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case v.GitRepo != nil:
		return "gitRepo"
	case v.NFS != nil:
		return "nfs"
	case v.ISCSI != nil:
		return "iscsi"
	case v.Glusterfs != nil:
		return "glusterfs"
	case v.RBD != nil:
		return "rbd"
	case v.FlexVolume != nil:
		return "flexVolume"
	case v.Cinder != nil:
		return "cinder"
	case v.CephFS != nil:
		return "cephfs"
	case v.Flocker != nil:
		return "flocker"
	case v.FC != nil:
		return "fc"
	case v.AzureFile != nil:
		return "azureFile"
	case v.VsphereVolume != nil:
		return "vsphereVolume"
	case v.Quobyte != nil:
		return "quobyte"
	case v.AzureDisk != nil:
		return "azureDisk"
	case v.PhotonPersistentDisk != nil:
		return "photonPersistentDisk"
	case v.PortworxVolume != nil:
		return "portworxVolume"
	case v.ScaleIO != nil:
		return "scaleIO"
	case v.StorageOS != nil:
		return "storageos"
	}
	return "unknown"
}

func restrictedVolumes(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var names, types []string
	for _, v := range s.Volumes {
		if t := volumeType(v.VolumeSource); t != "" {
			names, types = append(names, v.Name), append(types, t)
		}
	}
	if len(names) == 0 {
		return nil
	}
	types = uniqueSorted(types)
	return &Violation{"restricted volume types", fmt.Sprintf("%s %s %s %s %s", pluralize("volume", "volumes", len(names)), joinQuote(names),
		pluralize("uses", "use", len(names)), pluralize("restricted volume type", "restricted volume types", len(types)), joinQuote(types))}
}

func runAsNonRoot(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	pod, podNonRoot := false, false
	if s.SecurityContext != nil && s.SecurityContext.RunAsNonRoot != nil {
		pod, podNonRoot = !*s.SecurityContext.RunAsNonRoot, *s.SecurityContext.RunAsNonRoot
	}
	var implicit []string
	explicit := containerNames(s, func(c container) bool {
		if c.sc == nil || c.sc.RunAsNonRoot == nil {
			if !podNonRoot {
				implicit = append(implicit, c.name)
			}
			return false
		}
		return !*c.sc.RunAsNonRoot
	})
	if pod || len(explicit) > 0 {
		return &Violation{"runAsNonRoot != true", setters(pod, explicit, " must not set securityContext.runAsNonRoot=false")}
	}
	if len(implicit) > 0 {
		return &Violation{"runAsNonRoot != true", "pod or " + setters(false, implicit, " must set securityContext.runAsNonRoot=true")}
	}
	return nil
}

func runAsUser(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	pod := s.SecurityContext != nil && s.SecurityContext.RunAsUser != nil && *s.SecurityContext.RunAsUser == 0
	names := containerNames(s, func(c container) bool { return c.sc != nil && c.sc.RunAsUser != nil && *c.sc.RunAsUser == 0 })
	if !pod && len(names) == 0 {
		return nil
	}
	return &Violation{"runAsUser=0", setters(pod, names, " must not set runAsUser=0")}
}
