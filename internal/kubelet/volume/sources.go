package volume

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// payload computes what a content volume must hold now.
func (m *Manager) payload(ctx context.Context, pod *v1.Pod, vol *v1.Volume) (map[string]File, error) {
	switch {
	case vol.ConfigMap != nil:
		src := vol.ConfigMap
		optional := src.Optional != nil && *src.Optional
		cm, err := m.configMap(ctx, pod.Namespace, src.Name, optional)
		if err != nil {
			return nil, err
		}
		return configMapPayload(cm, src.Items, modeOr(src.DefaultMode, defaultFileMode), optional)
	case vol.Secret != nil:
		src := vol.Secret
		optional := src.Optional != nil && *src.Optional
		s, err := m.secret(ctx, pod.Namespace, src.SecretName, optional)
		if err != nil {
			return nil, err
		}
		return secretPayload(s, src.Items, modeOr(src.DefaultMode, defaultFileMode), optional)
	case vol.DownwardAPI != nil:
		return downwardAPIPayload(pod, vol.DownwardAPI.Items, modeOr(vol.DownwardAPI.DefaultMode, defaultFileMode), m.nodeAllocatable(ctx))
	case vol.Projected != nil:
		return projectedPayload(pod, vol.Projected, m.nodeAllocatable(ctx), projectedSources{
			configMap: func(name string, optional bool) (*v1.ConfigMap, error) {
				return m.configMap(ctx, pod.Namespace, name, optional)
			},
			secret: func(name string, optional bool) (*v1.Secret, error) {
				return m.secret(ctx, pod.Namespace, name, optional)
			},
			token: func(src *v1.ServiceAccountTokenProjection) ([]byte, error) {
				return m.serviceAccountToken(ctx, pod, src)
			},
		})
	}
	return nil, errors.New("unsupported volume type")
}

// configMap reads a ConfigMap; an absent optional one is (nil, nil), an
// absent required one the upstream `configmap "x" not found`.
func (m *Manager) configMap(ctx context.Context, ns, name string, optional bool) (*v1.ConfigMap, error) {
	cm, err := m.opts.Client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if optional {
			return nil, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmap"}, name)
	}
	if err != nil {
		return nil, fmt.Errorf("get configmap %s/%s: %w", ns, name, err)
	}
	return cm, nil
}

// secret reads a Secret; see configMap.
func (m *Manager) secret(ctx context.Context, ns, name string, optional bool) (*v1.Secret, error) {
	s, err := m.opts.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if optional {
			return nil, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secret"}, name)
	}
	if err != nil {
		return nil, fmt.Errorf("get secret %s/%s: %w", ns, name, err)
	}
	return s, nil
}

type tokenKey struct {
	pod        types.UID
	audience   string
	expiration int64
	path       string
}

type cachedToken struct {
	token     []byte
	refreshAt time.Time
}

// serviceAccountToken returns a token bound to the pod, requested through
// the TokenRequest API and reused until 80% of its lifetime has passed.
func (m *Manager) serviceAccountToken(ctx context.Context, pod *v1.Pod, src *v1.ServiceAccountTokenProjection) ([]byte, error) {
	exp := int64(3600)
	if src.ExpirationSeconds != nil {
		exp = *src.ExpirationSeconds
	}
	key := tokenKey{pod: pod.UID, audience: src.Audience, expiration: exp, path: src.Path}
	now := m.clk.Now()
	m.mu.Lock()
	cached, ok := m.tokens[key]
	m.mu.Unlock()
	if ok && now.Before(cached.refreshAt) {
		return cached.token, nil
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &exp,
		BoundObjectRef: &authenticationv1.BoundObjectReference{
			Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID,
		},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	resp, err := m.opts.Client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("failed to fetch token: %w", err)
	}
	issued := now
	lifetime := time.Duration(exp) * time.Second
	if !resp.Status.ExpirationTimestamp.IsZero() {
		lifetime = resp.Status.ExpirationTimestamp.Sub(now)
	}
	m.mu.Lock()
	m.tokens[key] = cachedToken{token: []byte(resp.Status.Token), refreshAt: issued.Add(lifetime * 8 / 10)}
	m.mu.Unlock()
	return []byte(resp.Status.Token), nil
}

// claimPath resolves a PersistentVolumeClaim to the host path of the
// hostPath or local PersistentVolume it is bound to.
func (m *Manager) claimPath(ctx context.Context, ns, claim string) (string, error) {
	core := m.opts.Client.CoreV1()
	pvc, err := core.PersistentVolumeClaims(ns).Get(ctx, claim, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("persistentvolumeclaim %q not found", claim)
	}
	if err != nil {
		return "", fmt.Errorf("get persistentvolumeclaim %s/%s: %w", ns, claim, err)
	}
	if pvc.Spec.VolumeName == "" || pvc.Status.Phase != v1.ClaimBound {
		return "", fmt.Errorf("persistentvolumeclaim %q is not bound", claim)
	}
	pv, err := core.PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("persistentvolume %q not found", pvc.Spec.VolumeName)
	}
	if err != nil {
		return "", fmt.Errorf("get persistentvolume %s: %w", pvc.Spec.VolumeName, err)
	}
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != ns || ref.Name != claim || (ref.UID != "" && ref.UID != pvc.UID) {
		return "", fmt.Errorf("persistentvolume %q is not bound to persistentvolumeclaim %q", pv.Name, claim)
	}
	switch {
	case pv.Spec.HostPath != nil:
		return pv.Spec.HostPath.Path, checkHostPathType(pv.Spec.HostPath.Path, pv.Spec.HostPath.Type)
	case pv.Spec.Local != nil:
		if _, err := os.Stat(pv.Spec.Local.Path); err != nil {
			return "", fmt.Errorf("local persistentvolume %q: %w", pv.Name, err)
		}
		return pv.Spec.Local.Path, nil
	}
	return "", fmt.Errorf("persistentvolume %q: only hostPath and local volumes are supported", pv.Name)
}

// tmpfsSize is the size of a memory-backed volume: the emptyDir sizeLimit
// if set, else the smaller of the pod's memory limit (when every container
// has one) and the node's allocatable memory.
func (m *Manager) tmpfsSize(ctx context.Context, pod *v1.Pod, ed *v1.EmptyDirVolumeSource) int64 {
	if ed != nil && ed.SizeLimit != nil && ed.SizeLimit.Value() > 0 {
		return ed.SizeLimit.Value()
	}
	size := int64(0)
	if q, ok := m.nodeAllocatable(ctx)[v1.ResourceMemory]; ok {
		size = q.Value()
	}
	var podLimit int64
	for _, c := range pod.Spec.Containers {
		q, ok := c.Resources.Limits[v1.ResourceMemory]
		if !ok {
			return size
		}
		podLimit += q.Value()
	}
	if podLimit > 0 && (size == 0 || podLimit < size) {
		return podLimit
	}
	return size
}

// nodeAllocatable returns Options.Allocatable, else the Node's allocatable
// resources, else what the host has (MemTotal, CPU count). The answer is
// cached once found.
func (m *Manager) nodeAllocatable(ctx context.Context) v1.ResourceList {
	m.mu.Lock()
	cached := m.allocatable
	m.mu.Unlock()
	if cached != nil {
		return cached
	}
	var list v1.ResourceList
	if m.opts.NodeName != "" && m.opts.Client != nil {
		node, err := m.opts.Client.CoreV1().Nodes().Get(ctx, m.opts.NodeName, metav1.GetOptions{})
		if err == nil && len(node.Status.Allocatable) > 0 {
			list = node.Status.Allocatable
		}
	}
	if list == nil {
		list = v1.ResourceList{v1.ResourceCPU: *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI)}
		if mem, err := hostMemory(); err == nil {
			list[v1.ResourceMemory] = *resource.NewQuantity(mem, resource.BinarySI)
		}
	}
	m.mu.Lock()
	m.allocatable = list
	m.mu.Unlock()
	return list
}

// hostMemory reads MemTotal from /proc/meminfo, in bytes.
func hostMemory() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("read meminfo: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse MemTotal: %w", err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("MemTotal not found in /proc/meminfo")
}
