package kubelet

import (
	"context"
	"fmt"
	"math"
	"strings"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// envVar is one resolved environment variable.
type envVar struct{ Name, Value string }

// envSource fetches the objects env vars refer to. Errors for a missing
// object must satisfy apierrors.IsNotFound.
type envSource interface {
	ConfigMap(ctx context.Context, namespace, name string) (*v1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*v1.Secret, error)
}

// envContext is what fieldRef and resourceFieldRef read besides the pod.
type envContext struct {
	PodIPs  []string
	HostIPs []string
	// NodeCPU and NodeMemory stand in for limits a container does not set.
	NodeCPU, NodeMemory resource.Quantity
}

// resolveEnv computes a container's environment as upstream: envFrom
// sources first, then env in order, each value expanding $(VAR) against what
// was defined before it. A missing object or key that is not optional is an
// error whose text becomes the CreateContainerConfigError message.
func resolveEnv(ctx context.Context, src envSource, pod *v1.Pod, c *v1.Container, ec envContext) ([]envVar, error) {
	var env []envVar
	set := func(name, value string) {
		for i := range env {
			if env[i].Name == name {
				env[i].Value = value
				return
			}
		}
		env = append(env, envVar{name, value})
	}
	for _, from := range c.EnvFrom {
		data, err := envFromData(ctx, src, pod.Namespace, from)
		if err != nil {
			return nil, err
		}
		for _, kv := range data {
			name := from.Prefix + kv.Name
			if len(validation.IsEnvVarName(name)) > 0 {
				continue
			}
			set(name, kv.Value)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandVars(e.Value, mapLookup(env)))
			continue
		}
		v, ok, err := envValueFrom(ctx, src, pod, c, e.ValueFrom, ec)
		if err != nil {
			return nil, err
		}
		if ok {
			set(e.Name, v)
		}
	}
	return env, nil
}

// envFromData returns the key/value pairs of one envFrom source in key order
// (maps are read sorted for a stable result). A missing optional source is empty.
func envFromData(ctx context.Context, src envSource, ns string, from v1.EnvFromSource) ([]envVar, error) {
	switch {
	case from.ConfigMapRef != nil:
		cm, err := src.ConfigMap(ctx, ns, from.ConfigMapRef.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(from.ConfigMapRef.Optional) {
				return nil, nil
			}
			return nil, objectError("configmap", from.ConfigMapRef.Name, err)
		}
		return sortedPairs(cm.Data, nil), nil
	case from.SecretRef != nil:
		s, err := src.Secret(ctx, ns, from.SecretRef.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(from.SecretRef.Optional) {
				return nil, nil
			}
			return nil, objectError("secret", from.SecretRef.Name, err)
		}
		return sortedPairs(nil, s.Data), nil
	}
	return nil, nil
}

// envValueFrom resolves one valueFrom; ok is false for an optional
// reference that is absent (the variable is then not set).
func envValueFrom(ctx context.Context, src envSource, pod *v1.Pod, c *v1.Container, from *v1.EnvVarSource, ec envContext) (string, bool, error) {
	switch {
	case from.FieldRef != nil:
		v, err := podFieldValue(pod, from.FieldRef.FieldPath, ec)
		return v, err == nil, err
	case from.ResourceFieldRef != nil:
		v, err := resourceFieldValue(pod, c, from.ResourceFieldRef, ec)
		return v, err == nil, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		cm, err := src.ConfigMap(ctx, pod.Namespace, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, objectError("configmap", ref.Name, err)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, true, nil
		}
		if v, ok := cm.BinaryData[ref.Key]; ok {
			return string(v), true, nil
		}
		if optional(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("couldn't find key %v in ConfigMap %v/%v", ref.Key, pod.Namespace, ref.Name)
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		s, err := src.Secret(ctx, pod.Namespace, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional(ref.Optional) {
				return "", false, nil
			}
			return "", false, objectError("secret", ref.Name, err)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), true, nil
		}
		if optional(ref.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("couldn't find key %v in Secret %v/%v", ref.Key, pod.Namespace, ref.Name)
	}
	return "", false, nil
}

func optional(b *bool) bool { return b != nil && *b }

// objectError words a failed read as the upstream kubelet does
// (`configmap "x" not found`).
func objectError(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %q not found", kind, name)
	}
	return fmt.Errorf("get %s %q: %w", kind, name, err)
}

func sortedPairs(s map[string]string, b map[string][]byte) []envVar {
	out := make([]envVar, 0, len(s)+len(b))
	for k, v := range s {
		out = append(out, envVar{k, v})
	}
	for k, v := range b {
		out = append(out, envVar{k, string(v)})
	}
	sortEnv(out)
	return out
}

func sortEnv(e []envVar) {
	for i := 1; i < len(e); i++ {
		for j := i; j > 0 && e[j].Name < e[j-1].Name; j-- {
			e[j], e[j-1] = e[j-1], e[j]
		}
	}
}

// podFieldValue resolves a downward-API field path for env vars.
func podFieldValue(pod *v1.Pod, path string, ec envContext) (string, error) {
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		return first(ec.HostIPs), nil
	case "status.hostIPs":
		return strings.Join(ec.HostIPs, ","), nil
	case "status.podIP":
		return first(ec.PodIPs), nil
	case "status.podIPs":
		return strings.Join(ec.PodIPs, ","), nil
	}
	return "", fmt.Errorf("unsupported fieldPath: %s", path)
}

// subscript parses `prefix['key']`.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok || !strings.HasSuffix(rest, "']") {
		return "", false
	}
	return strings.TrimSuffix(rest, "']"), true
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// resourceFieldValue resolves a resourceFieldRef as upstream: the value is
// divided by the divisor and rounded up; an unset limit is the node's.
func resourceFieldValue(pod *v1.Pod, c *v1.Container, ref *v1.ResourceFieldSelector, ec envContext) (string, error) {
	target := c
	if ref.ContainerName != "" {
		if target = findContainer(pod, ref.ContainerName); target == nil {
			return "", fmt.Errorf("container %q not found in pod %s", ref.ContainerName, formatPod(pod))
		}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	var q resource.Quantity
	switch ref.Resource {
	case "limits.cpu", "requests.cpu":
		q = quantityOr(target, ref.Resource, v1.ResourceCPU, ec.NodeCPU)
		return fmt.Sprint(int64(math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue())))), nil
	case "limits.memory", "requests.memory":
		q = quantityOr(target, ref.Resource, v1.ResourceMemory, ec.NodeMemory)
	case "limits.ephemeral-storage", "requests.ephemeral-storage":
		q = quantityOr(target, ref.Resource, v1.ResourceEphemeralStorage, resource.Quantity{})
	default:
		return "", fmt.Errorf("unsupported container resource: %v", ref.Resource)
	}
	return fmt.Sprint(int64(math.Ceil(float64(q.Value()) / float64(divisor.Value())))), nil
}

func quantityOr(c *v1.Container, field string, name v1.ResourceName, node resource.Quantity) resource.Quantity {
	if strings.HasPrefix(field, "limits.") {
		if q, ok := c.Resources.Limits[name]; ok {
			return q
		}
		return node
	}
	if q, ok := c.Resources.Requests[name]; ok {
		return q
	}
	if name == v1.ResourceCPU || name == v1.ResourceMemory {
		return resource.Quantity{}
	}
	return node
}
