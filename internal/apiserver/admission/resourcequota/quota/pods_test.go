package quota

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rl(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

func ctr(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func pod(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: containers}}
}

func ptr[T any](v T) *T { return &v }

func TestPodUsage(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	always := corev1.ContainerRestartPolicyAlways
	withInit := func(p *corev1.Pod, inits ...corev1.Container) *corev1.Pod {
		p.Spec.InitContainers = inits
		return p
	}
	sidecar := ctr("side", rl("cpu", "100m"), nil)
	sidecar.RestartPolicy = &always
	deleted := func(p *corev1.Pod, ago time.Duration, grace int64) *corev1.Pod {
		p.DeletionTimestamp = &metav1.Time{Time: now.Add(-ago)}
		p.DeletionGracePeriodSeconds = &grace
		return p
	}
	phase := func(p *corev1.Pod, ph corev1.PodPhase) *corev1.Pod { p.Status.Phase = ph; return p }
	overhead := func(p *corev1.Pod, o corev1.ResourceList) *corev1.Pod { p.Spec.Overhead = o; return p }
	tests := []struct {
		name string
		pod  *corev1.Pod
		want corev1.ResourceList
	}{
		{"best effort", pod(ctr("a", nil, nil)), rl("count/pods", "1", "pods", "1")},
		{"requests and limits summed", pod(ctr("a", rl("cpu", "100m", "memory", "64Mi"), rl("cpu", "200m")), ctr("b", rl("cpu", "300m"), rl("memory", "1Gi"))),
			rl("count/pods", "1", "pods", "1", "cpu", "400m", "requests.cpu", "400m", "memory", "64Mi", "requests.memory", "64Mi",
				"limits.cpu", "200m", "limits.memory", "1Gi")},
		{"init container max", withInit(pod(ctr("a", rl("cpu", "100m"), nil)), ctr("i", rl("cpu", "1"), nil)),
			rl("count/pods", "1", "pods", "1", "cpu", "1", "requests.cpu", "1")},
		{"sidecar adds and runs beside later inits", withInit(pod(ctr("a", rl("cpu", "100m"), nil)), sidecar, ctr("i", rl("cpu", "500m"), nil)),
			rl("count/pods", "1", "pods", "1", "cpu", "600m", "requests.cpu", "600m")},
		{"extended and hugepages", pod(ctr("a", rl("nvidia.com/gpu", "2", "hugepages-2Mi", "4Mi"), rl("nvidia.com/gpu", "2", "hugepages-2Mi", "4Mi"))),
			rl("count/pods", "1", "pods", "1", "requests.nvidia.com/gpu", "2", "hugepages-2Mi", "4Mi", "requests.hugepages-2Mi", "4Mi")},
		{"ephemeral storage", pod(ctr("a", rl("ephemeral-storage", "1Gi"), rl("ephemeral-storage", "2Gi"))),
			rl("count/pods", "1", "pods", "1", "ephemeral-storage", "1Gi", "requests.ephemeral-storage", "1Gi", "limits.ephemeral-storage", "2Gi")},
		{"overhead on requests, on limits only where set", overhead(pod(ctr("a", rl("cpu", "100m", "memory", "10Mi"), rl("cpu", "1"))), rl("cpu", "50m", "memory", "5Mi")),
			rl("count/pods", "1", "pods", "1", "cpu", "150m", "requests.cpu", "150m", "memory", "15Mi", "requests.memory", "15Mi", "limits.cpu", "1050m")},
		{"succeeded pod counts only as an object", phase(pod(ctr("a", rl("cpu", "1"), nil)), corev1.PodSucceeded), rl("count/pods", "1")},
		{"failed pod counts only as an object", phase(pod(ctr("a", rl("cpu", "1"), nil)), corev1.PodFailed), rl("count/pods", "1")},
		{"deleted within grace still counts", deleted(pod(ctr("a", nil, nil)), 10*time.Second, 30), rl("count/pods", "1", "pods", "1")},
		{"deleted past grace does not", deleted(pod(ctr("a", nil, nil)), time.Minute, 30), rl("count/pods", "1")},
	}
	ev := For(corev1.Resource("pods"), func() time.Time { return now })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ev.Usage(tt.pod)
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, tt.want) {
				t.Errorf("usage = %s, want %s", String(got), String(tt.want))
			}
		})
	}
}

func TestPodScopes(t *testing.T) {
	be := pod(ctr("a", nil, nil))
	burst := pod(ctr("a", rl("cpu", "1"), nil))
	terminating := pod(ctr("a", nil, nil))
	terminating.Spec.ActiveDeadlineSeconds = ptr(int64(30))
	high := pod(ctr("a", rl("cpu", "1"), nil))
	high.Spec.PriorityClassName = "high"
	cross := pod(ctr("a", nil, nil))
	cross.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{Namespaces: []string{"other"}, TopologyKey: "k"}}}}
	req := func(s corev1.ResourceQuotaScope, op corev1.ScopeSelectorOperator, v ...string) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: op, Values: v}
	}
	exists := func(s corev1.ResourceQuotaScope) corev1.ScopedResourceSelectorRequirement {
		return req(s, corev1.ScopeSelectorOpExists)
	}
	tests := []struct {
		name string
		req  corev1.ScopedResourceSelectorRequirement
		pod  *corev1.Pod
		want bool
	}{
		{"BestEffort matches best effort", exists(corev1.ResourceQuotaScopeBestEffort), be, true},
		{"BestEffort skips burstable", exists(corev1.ResourceQuotaScopeBestEffort), burst, false},
		{"NotBestEffort matches burstable", exists(corev1.ResourceQuotaScopeNotBestEffort), burst, true},
		{"NotBestEffort skips best effort", exists(corev1.ResourceQuotaScopeNotBestEffort), be, false},
		{"Terminating matches activeDeadlineSeconds", exists(corev1.ResourceQuotaScopeTerminating), terminating, true},
		{"Terminating skips others", exists(corev1.ResourceQuotaScopeTerminating), be, false},
		{"NotTerminating matches others", exists(corev1.ResourceQuotaScopeNotTerminating), be, true},
		{"NotTerminating skips activeDeadlineSeconds", exists(corev1.ResourceQuotaScopeNotTerminating), terminating, false},
		{"PriorityClass In", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpIn, "high", "mid"), high, true},
		{"PriorityClass In other", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpIn, "low"), high, false},
		{"PriorityClass In without class", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpIn, "high"), be, false},
		{"PriorityClass NotIn", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpNotIn, "high"), high, false},
		{"PriorityClass NotIn without class", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpNotIn, "high"), be, true},
		{"PriorityClass Exists", exists(corev1.ResourceQuotaScopePriorityClass), high, true},
		{"PriorityClass Exists without class", exists(corev1.ResourceQuotaScopePriorityClass), be, false},
		{"PriorityClass DoesNotExist", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpDoesNotExist), be, true},
		{"PriorityClass DoesNotExist with class", req(corev1.ResourceQuotaScopePriorityClass, corev1.ScopeSelectorOpDoesNotExist), high, false},
		{"CrossNamespacePodAffinity", exists(corev1.ResourceQuotaScopeCrossNamespacePodAffinity), cross, true},
		{"CrossNamespacePodAffinity without", exists(corev1.ResourceQuotaScopeCrossNamespacePodAffinity), be, false},
	}
	ev := For(corev1.Resource("pods"), time.Now)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ev.MatchesScope(tt.req, tt.pod)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPodConstraints(t *testing.T) {
	tests := []struct {
		name     string
		required []corev1.ResourceName
		pod      *corev1.Pod
		want     string
	}{
		{"nothing required", nil, pod(ctr("a", nil, nil)), ""},
		{"pods only", []corev1.ResourceName{"pods"}, pod(ctr("a", nil, nil)), ""},
		{"missing limits.cpu and requests.memory", []corev1.ResourceName{"limits.cpu", "requests.memory", "pods"}, pod(ctr("nginx", nil, nil)),
			"must specify limits.cpu for: nginx; requests.memory for: nginx"},
		{"containers listed sorted", []corev1.ResourceName{"cpu"}, pod(ctr("b", nil, nil), ctr("a", nil, nil), ctr("c", rl("cpu", "1"), nil)),
			"must specify cpu for: a,b"},
		{"ephemeral storage never required", []corev1.ResourceName{"requests.ephemeral-storage"}, pod(ctr("a", nil, nil)), ""},
		{"all set", []corev1.ResourceName{"requests.cpu", "limits.memory"}, pod(ctr("a", rl("cpu", "1"), rl("memory", "1Gi"))), ""},
	}
	ev := For(corev1.Resource("pods"), time.Now)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ev.Constraints(tt.required, tt.pod)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("constraints = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPodMatchingResources(t *testing.T) {
	in := []corev1.ResourceName{"pods", "services", "requests.cpu", "limits.memory", "requests.nvidia.com/gpu", "hugepages-2Mi",
		"count/pods", "count/services", "requests.storage", "configmaps"}
	got := For(corev1.Resource("pods"), time.Now).MatchingResources(in)
	want := []corev1.ResourceName{"pods", "requests.cpu", "limits.memory", "count/pods", "requests.nvidia.com/gpu", "hugepages-2Mi"}
	if NamesString(got) != NamesString(want) {
		t.Errorf("matching = %v, want %v", got, want)
	}
}
