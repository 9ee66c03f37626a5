package framework

import (
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Defaults used for scoring a container that requests no cpu or memory, so
// that such pods still count (upstream DefaultMilliCPURequest and
// DefaultMemoryRequest).
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// Resource is an amount of each schedulable resource. Scalar holds extended
// resources and hugepages; nil Scalar is empty.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	AllowedPodNumber int64
	Scalar           map[v1.ResourceName]int64
}

// NewResource converts a ResourceList.
func NewResource(rl v1.ResourceList) Resource {
	var r Resource
	r.Add(rl)
	return r
}

// Add adds every quantity of rl to r.
func (r *Resource) Add(rl v1.ResourceList) {
	for name, q := range rl {
		switch name {
		case v1.ResourceCPU:
			r.MilliCPU += q.MilliValue()
		case v1.ResourceMemory:
			r.Memory += q.Value()
		case v1.ResourceEphemeralStorage:
			r.EphemeralStorage += q.Value()
		case v1.ResourcePods:
			r.AllowedPodNumber += q.Value()
		default:
			if IsScalarResourceName(name) {
				r.SetScalar(name, r.Scalar[name]+q.Value())
			}
		}
	}
}

// SetScalar sets one scalar resource, allocating the map when needed.
func (r *Resource) SetScalar(name v1.ResourceName, v int64) {
	if r.Scalar == nil {
		r.Scalar = map[v1.ResourceName]int64{}
	}
	r.Scalar[name] = v
}

// plus adds o to r (sign +1) or subtracts it (sign -1).
func (r *Resource) plus(o *Resource, sign int64) {
	r.MilliCPU += sign * o.MilliCPU
	r.Memory += sign * o.Memory
	r.EphemeralStorage += sign * o.EphemeralStorage
	r.AllowedPodNumber += sign * o.AllowedPodNumber
	for k, v := range o.Scalar {
		r.SetScalar(k, r.Scalar[k]+sign*v)
	}
}

// maxOf raises every amount of r to at least that of o.
func (r *Resource) maxOf(o *Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	for k, v := range o.Scalar {
		if v > r.Scalar[k] {
			r.SetScalar(k, v)
		}
	}
}

// Clone returns a deep copy.
func (r Resource) Clone() Resource {
	c := r
	if r.Scalar != nil {
		c.Scalar = make(map[v1.ResourceName]int64, len(r.Scalar))
		for k, v := range r.Scalar {
			c.Scalar[k] = v
		}
	}
	return c
}

// IsScalarResourceName reports whether name is counted as a scalar:
// extended resources (a domain other than *kubernetes.io, not "requests."),
// hugepages-*, and attachable-volumes-*.
func IsScalarResourceName(name v1.ResourceName) bool {
	s := string(name)
	if strings.HasPrefix(s, v1.ResourceHugePagesPrefix) || strings.HasPrefix(s, v1.ResourceAttachableVolumesPrefix) {
		return true
	}
	domain, _, ok := strings.Cut(s, "/")
	if !ok || strings.HasPrefix(s, v1.DefaultResourceRequestsPrefix) {
		return false
	}
	return domain != "kubernetes.io" && !strings.HasSuffix(domain, ".kubernetes.io")
}

// PodRequests computes the pod's effective requests as upstream:
// max(sum of app containers + sidecar (restartable) init containers,
// the largest regular init container plus the sidecars started before it),
// plus pod overhead. Pod-level resources, when set, replace the container
// sum for the resources they name. With nonZero, a container that requests
// no cpu or memory counts DefaultMilliCPURequest / DefaultMemoryRequest
// (used for scoring only).
func PodRequests(pod *v1.Pod, nonZero bool) Resource {
	var sum Resource
	for i := range pod.Spec.Containers {
		req := containerRequests(&pod.Spec.Containers[i], nonZero)
		sum.plus(&req, 1)
	}
	var sidecars, maxInit Resource
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		req := containerRequests(c, nonZero)
		if c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways {
			sum.plus(&req, 1)
			sidecars.plus(&req, 1)
			continue
		}
		withSidecars := sidecars.Clone()
		withSidecars.plus(&req, 1)
		maxInit.maxOf(&withSidecars)
	}
	sum.maxOf(&maxInit)
	if pod.Spec.Resources != nil {
		pl := NewResource(pod.Spec.Resources.Requests)
		if _, ok := pod.Spec.Resources.Requests[v1.ResourceCPU]; ok {
			sum.MilliCPU = pl.MilliCPU
		}
		if _, ok := pod.Spec.Resources.Requests[v1.ResourceMemory]; ok {
			sum.Memory = pl.Memory
		}
	}
	overhead := NewResource(pod.Spec.Overhead)
	sum.plus(&overhead, 1)
	sum.AllowedPodNumber = 0
	return sum
}

func containerRequests(c *v1.Container, nonZero bool) Resource {
	r := NewResource(c.Resources.Requests)
	if nonZero {
		if _, ok := c.Resources.Requests[v1.ResourceCPU]; !ok {
			r.MilliCPU = DefaultMilliCPURequest
		}
		if _, ok := c.Resources.Requests[v1.ResourceMemory]; !ok {
			r.Memory = DefaultMemoryRequest
		}
	}
	return r
}
