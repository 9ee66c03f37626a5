package serviceaccount

import (
	"math/rand/v2"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The projected token volume upstream's plugin adds.
const (
	// TokenVolumePrefix starts the name of the added volume
	// ("kube-api-access-" and five random characters).
	TokenVolumePrefix = "kube-api-access-"
	// TokenMountPath is where every container sees the volume.
	TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// RootCAConfigMap is the ConfigMap the root CA publisher keeps in every
	// namespace, and its key.
	RootCAConfigMap = "kube-root-ca.crt"
	RootCAKey       = "ca.crt"
	// tokenExpirationSeconds is what the volume asks for: 3607 s tells the
	// API server to extend the token (see TokenRequest).
	tokenExpirationSeconds = 3607
)

// nameChars are the characters of generated name suffixes, as upstream's
// name generator (no vowels, no look-alike digits).
const nameChars = "bcdfghjklmnpqrstvwxz2456789"

// randomSuffix is five random name characters.
func randomSuffix() string {
	var b strings.Builder
	for range 5 {
		b.WriteByte(nameChars[rand.IntN(len(nameChars))])
	}
	return b.String()
}

// shouldAutomount is the pod's choice, else the account's, else true.
func shouldAutomount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

// mountToken mounts the token volume read-only at TokenMountPath in every
// init container and container that has no mount there yet, adding the
// volume if one did and the pod has no kube-api-access- volume already.
func mountToken(pod *corev1.Pod, suffix func() string) {
	name, hasVolume := "", false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, TokenVolumePrefix) {
			name, hasVolume = v.Name, true
			break
		}
	}
	if name == "" {
		name = TokenVolumePrefix + suffix()
	}
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: TokenMountPath}
	needed := false
	add := func(cs []corev1.Container) {
		for i := range cs {
			if !hasMountAt(cs[i].VolumeMounts, TokenMountPath) {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, mount)
				needed = true
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	if needed && !hasVolume {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name,
			VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}})
	}
}

func hasMountAt(mounts []corev1.VolumeMount, path string) bool {
	for _, m := range mounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// TokenVolumeSource is the projected volume: a token for the API audience,
// the cluster CA from kube-root-ca.crt and the pod's namespace.
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	exp, mode := int64(tokenExpirationSeconds), corev1.ProjectedVolumeSourceDefaultMode
	return &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: RootCAConfigMap},
				Items: []corev1.KeyToPath{{Key: RootCAKey, Path: RootCAKey}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
}
