package noderestriction

import (
	corev1 "k8s.io/api/core/v1"
)

// containers are every container of a pod: init, regular and ephemeral.
func containers(spec *corev1.PodSpec) []corev1.Container {
	out := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, e := range spec.EphemeralContainers {
		out = append(out, corev1.Container(e.EphemeralContainerCommon))
	}
	return out
}

// referencesSecrets reports whether a pod names any Secret: pull secrets,
// secret volumes and projections, volume plugins' secret references, and
// environment variables.
func referencesSecrets(spec *corev1.PodSpec) bool {
	if len(spec.ImagePullSecrets) > 0 {
		return true
	}
	for i := range spec.Volumes {
		if volumeSecret(&spec.Volumes[i].VolumeSource) {
			return true
		}
	}
	for _, c := range containers(spec) {
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				return true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return true
			}
		}
	}
	return false
}

func volumeSecret(v *corev1.VolumeSource) bool {
	switch {
	case v.Secret != nil,
		v.CSI != nil && v.CSI.NodePublishSecretRef != nil,
		v.CephFS != nil && v.CephFS.SecretRef != nil,
		v.Cinder != nil && v.Cinder.SecretRef != nil,
		v.FlexVolume != nil && v.FlexVolume.SecretRef != nil,
		v.ISCSI != nil && v.ISCSI.SecretRef != nil,
		v.RBD != nil && v.RBD.SecretRef != nil,
		v.ScaleIO != nil && v.ScaleIO.SecretRef != nil,
		v.StorageOS != nil && v.StorageOS.SecretRef != nil,
		v.AzureFile != nil:
		return true
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				return true
			}
		}
	}
	return false
}

// referencesConfigMaps reports whether a pod names any ConfigMap.
func referencesConfigMaps(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			return true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					return true
				}
			}
		}
	}
	for _, c := range containers(spec) {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				return true
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				return true
			}
		}
	}
	return false
}

// referencesClaims reports persistentVolumeClaim volumes.
func referencesClaims(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			return true
		}
	}
	return false
}

// referencesTrustBundles reports clusterTrustBundle projections.
func referencesTrustBundles(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ClusterTrustBundle != nil {
					return true
				}
			}
		}
	}
	return false
}
