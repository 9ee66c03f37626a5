package statefulset

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Pod labels a StatefulSet sets, as upstream.
const (
	podNameLabel  = appsv1.StatefulSetPodNameLabel
	podIndexLabel = appsv1.PodIndexLabel
	revisionLabel = appsv1.ControllerRevisionHashLabelKey
)

// controllerKind is the kind of the objects this controller owns pods for.
func controllerKind() schema.GroupVersionKind {
	return appsv1.SchemeGroupVersion.WithKind("StatefulSet")
}

// startOrdinal is spec.ordinals.start, 0 when unset.
func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func replicasOf(set *appsv1.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

// podName is "<set>-<ordinal>".
func podName(set *appsv1.StatefulSet, ordinal int) string {
	return set.Name + "-" + strconv.Itoa(ordinal)
}

// ordinalOf parses the ordinal of a pod named "<set>-<ordinal>"; ok is
// false for any other name.
func ordinalOf(set *appsv1.StatefulSet, pod *corev1.Pod) (int, bool) {
	rest, found := strings.CutPrefix(pod.Name, set.Name+"-")
	if !found || rest == "" || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// inRange reports whether ordinal is one the set currently wants.
func inRange(set *appsv1.StatefulSet, ordinal int) bool {
	s := startOrdinal(set)
	return ordinal >= s && ordinal < s+replicasOf(set)
}

// claimName is "<claim template>-<set>-<ordinal>".
func claimName(set *appsv1.StatefulSet, claim string, ordinal int) string {
	return claim + "-" + podName(set, ordinal)
}

// newPod builds pod ordinal of set from template at revision revName.
func newPod(set *appsv1.StatefulSet, template *corev1.PodTemplateSpec, revName string, ordinal int) *corev1.Pod {
	t := template.DeepCopy()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            podName(set, ordinal),
			Namespace:       set.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(set, controllerKind())},
		},
		Spec: t.Spec,
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[revisionLabel] = revName
	setIdentity(set, pod, ordinal)
	setStorage(set, pod, ordinal)
	return pod
}

// setIdentity writes the identity fields of pod ordinal.
func setIdentity(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) {
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[podNameLabel] = pod.Name
	pod.Labels[podIndexLabel] = strconv.Itoa(ordinal)
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName
}

// labelsMatch reports whether the identity labels of pod ordinal are set;
// they are the part of the identity that can be repaired on a live pod
// (hostname, subdomain and volumes are immutable).
func labelsMatch(pod *corev1.Pod, ordinal int) bool {
	return pod.Labels[podNameLabel] == pod.Name && pod.Labels[podIndexLabel] == strconv.Itoa(ordinal)
}

// setStorage makes each claim template a volume of pod backed by its PVC,
// replacing a template volume of the same name.
func setStorage(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) {
	for _, ct := range set.Spec.VolumeClaimTemplates {
		v := corev1.Volume{Name: ct.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(set, ct.Name, ordinal)},
		}}
		replaced := false
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == ct.Name {
				pod.Spec.Volumes[i] = v
				replaced = true
			}
		}
		if !replaced {
			pod.Spec.Volumes = append(pod.Spec.Volumes, v)
		}
	}
}
