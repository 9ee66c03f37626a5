package volume

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// defaultFileMode is the upstream default for configMap, secret,
// downwardAPI and projected files when the pod does not say.
const defaultFileMode int32 = 0o644

func modeOr(mode *int32, def int32) int32 {
	if mode != nil {
		return *mode
	}
	return def
}

// keyedPayload projects a key/value object (configMap or secret data). With
// no items every key becomes a file named after it; with items only the
// listed keys are projected, a missing key being an error unless optional.
func keyedPayload(missing string, data map[string][]byte, items []v1.KeyToPath, defMode int32, optional bool) (map[string]File, error) {
	out := make(map[string]File, len(data))
	if len(items) == 0 {
		for k, v := range data {
			out[k] = File{Data: v, Mode: defMode}
		}
		return out, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("%s: %s", missing, it.Key)
		}
		out[it.Path] = File{Data: v, Mode: modeOr(it.Mode, defMode)}
	}
	return out, nil
}

// configMapData merges data and binaryData of a ConfigMap into one map.
func configMapData(cm *v1.ConfigMap) map[string][]byte {
	out := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		out[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		out[k] = v
	}
	return out
}

// configMapPayload is the content of a configMap volume or projection. A nil
// cm means "optional and absent": an empty payload.
func configMapPayload(cm *v1.ConfigMap, items []v1.KeyToPath, defMode int32, optional bool) (map[string]File, error) {
	if cm == nil {
		return map[string]File{}, nil
	}
	return keyedPayload("configmap references non-existent config key", configMapData(cm), items, defMode, optional)
}

// secretPayload is the content of a secret volume or projection; a nil
// secret means "optional and absent".
func secretPayload(s *v1.Secret, items []v1.KeyToPath, defMode int32, optional bool) (map[string]File, error) {
	if s == nil {
		return map[string]File{}, nil
	}
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	for k, v := range s.Data {
		data[k] = v
	}
	return keyedPayload("secret references non-existent secret key", data, items, defMode, optional)
}

// formatMap renders labels or annotations the upstream downward API way:
// one key="quoted value" per line, keys sorted, no trailing newline.
func formatMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, k+"="+strconv.Quote(m[k]))
	}
	return strings.Join(lines, "\n")
}

// subscript splits "metadata.labels['key']" into ("metadata.labels", "key").
func subscript(path string) (string, string, bool) {
	i := strings.Index(path, "['")
	if i < 0 || !strings.HasSuffix(path, "']") {
		return path, "", false
	}
	return path[:i], path[i+2 : len(path)-2], true
}

// podFieldValue resolves a downward API fieldRef path against the pod.
func podFieldValue(pod *v1.Pod, path string) (string, error) {
	if base, key, ok := subscript(path); ok {
		switch base {
		case "metadata.labels":
			return pod.Labels[key], nil
		case "metadata.annotations":
			return pod.Annotations[key], nil
		}
		return "", fmt.Errorf("unsupported fieldPath: %s", path)
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		return pod.Status.PodIP, nil
	case "status.hostIP":
		return pod.Status.HostIP, nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

// containerResourceValue resolves a resourceFieldRef: the container's
// request or limit divided by the divisor and rounded up; a missing limit
// falls back to the node's allocatable amount, as upstream.
func containerResourceValue(pod *v1.Pod, ref *v1.ResourceFieldSelector, allocatable v1.ResourceList) (string, error) {
	var ctr *v1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == ref.ContainerName {
			ctr = &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if ctr == nil && pod.Spec.InitContainers[i].Name == ref.ContainerName {
			ctr = &pod.Spec.InitContainers[i]
		}
	}
	if ctr == nil {
		return "", fmt.Errorf("container %q not found in pod", ref.ContainerName)
	}
	kind, res, ok := strings.Cut(ref.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported container resource: %v", ref.Resource)
	}
	list := ctr.Resources.Requests
	if kind == "limits" {
		list = ctr.Resources.Limits
	}
	q, found := list[v1.ResourceName(res)]
	if !found && kind == "limits" {
		q = allocatable[v1.ResourceName(res)]
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	switch v1.ResourceName(res) {
	case v1.ResourceCPU:
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	case v1.ResourceMemory, v1.ResourceEphemeralStorage:
		return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
	}
	if strings.HasPrefix(res, "hugepages-") {
		return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
	}
	return "", fmt.Errorf("unsupported container resource: %v", ref.Resource)
}

// downwardAPIPayload is the content of a downwardAPI volume or projection.
func downwardAPIPayload(pod *v1.Pod, items []v1.DownwardAPIVolumeFile, defMode int32, allocatable v1.ResourceList) (map[string]File, error) {
	out := make(map[string]File, len(items))
	for _, it := range items {
		var (
			val string
			err error
		)
		switch {
		case it.FieldRef != nil:
			val, err = podFieldValue(pod, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			val, err = containerResourceValue(pod, it.ResourceFieldRef, allocatable)
		default:
			err = fmt.Errorf("item %q has neither fieldRef nor resourceFieldRef", it.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("downward API item %q: %w", it.Path, err)
		}
		out[it.Path] = File{Data: []byte(val), Mode: modeOr(it.Mode, defMode)}
	}
	return out, nil
}

// projectedSources gives projectedPayload access to the API: each lookup
// returns (nil, nil) for an optional object that does not exist.
type projectedSources struct {
	configMap func(name string, optional bool) (*v1.ConfigMap, error)
	secret    func(name string, optional bool) (*v1.Secret, error)
	token     func(src *v1.ServiceAccountTokenProjection) ([]byte, error)
}

// projectedPayload merges the payloads of every source of a projected
// volume; later sources win on path collisions, as upstream.
func projectedPayload(pod *v1.Pod, vol *v1.ProjectedVolumeSource, allocatable v1.ResourceList, src projectedSources) (map[string]File, error) {
	defMode := modeOr(vol.DefaultMode, defaultFileMode)
	out := map[string]File{}
	for i := range vol.Sources {
		s := &vol.Sources[i]
		var (
			part map[string]File
			err  error
		)
		switch {
		case s.ConfigMap != nil:
			optional := s.ConfigMap.Optional != nil && *s.ConfigMap.Optional
			var cm *v1.ConfigMap
			if cm, err = src.configMap(s.ConfigMap.Name, optional); err == nil {
				part, err = configMapPayload(cm, s.ConfigMap.Items, defMode, optional)
			}
		case s.Secret != nil:
			optional := s.Secret.Optional != nil && *s.Secret.Optional
			var sec *v1.Secret
			if sec, err = src.secret(s.Secret.Name, optional); err == nil {
				part, err = secretPayload(sec, s.Secret.Items, defMode, optional)
			}
		case s.DownwardAPI != nil:
			part, err = downwardAPIPayload(pod, s.DownwardAPI.Items, defMode, allocatable)
		case s.ServiceAccountToken != nil:
			var tok []byte
			if tok, err = src.token(s.ServiceAccountToken); err == nil {
				part = map[string]File{s.ServiceAccountToken.Path: {Data: tok, Mode: defMode}}
			}
		default:
			err = fmt.Errorf("projected source %d: unsupported source type", i)
		}
		if err != nil {
			return nil, err
		}
		for p, f := range part {
			out[p] = f
		}
	}
	return out, nil
}
