package limitranger

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

func list(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func ctr(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func rangeOf(items ...corev1.LimitRangeItem) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "lr", Namespace: "ns"}, Spec: corev1.LimitRangeSpec{Limits: items}}
}

func TestApplyDefaults(t *testing.T) {
	lr := rangeOf(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
		Default: list("cpu", "500m", "memory", "256Mi"), DefaultRequest: list("cpu", "100m", "memory", "64Mi")})
	tests := []struct {
		name      string
		pod       corev1.PodSpec
		wantNote  string
		wantCPU   []string // request/limit of the first container
		wantInitM string   // init container memory limit
	}{
		{"empty container gets all",
			corev1.PodSpec{Containers: []corev1.Container{ctr("app", nil, nil)}},
			"LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app",
			[]string{"100m", "500m"}, ""},
		{"own values kept",
			corev1.PodSpec{Containers: []corev1.Container{ctr("app", list("cpu", "1"), list("cpu", "2", "memory", "1Gi"))}},
			"LimitRanger plugin set: memory request for container app",
			[]string{"1", "2"}, ""},
		{"init containers too",
			corev1.PodSpec{Containers: []corev1.Container{ctr("app", list("cpu", "1", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi"))},
				InitContainers: []corev1.Container{ctr("setup", list("cpu", "1", "memory", "1"), list("cpu", "1"))}},
			"LimitRanger plugin set: memory limit for init container setup",
			[]string{"1", "1"}, "256Mi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: tt.pod}
			lookup := admissiontest.NewLookup().Add(limitRanges(), lr)
			if err := (&Plugin{Lookup: lookup}).Admit(context.Background(), admissiontest.PodCreate(pod)); err != nil {
				t.Fatal(err)
			}
			if got := pod.Annotations[Annotation]; got != tt.wantNote {
				t.Errorf("annotation = %q, want %q", got, tt.wantNote)
			}
			c := pod.Spec.Containers[0].Resources
			if got := []string{c.Requests.Cpu().String(), c.Limits.Cpu().String()}; got[0] != tt.wantCPU[0] || got[1] != tt.wantCPU[1] {
				t.Errorf("cpu request/limit = %v, want %v", got, tt.wantCPU)
			}
			if tt.wantInitM != "" {
				if got := pod.Spec.InitContainers[0].Resources.Limits.Memory().String(); got != tt.wantInitM {
					t.Errorf("init memory limit = %s, want %s", got, tt.wantInitM)
				}
			}
		})
	}
}

func TestValidatePod(t *testing.T) {
	container := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "100m"), Max: list("cpu", "1", "memory", "1Gi"),
		MaxLimitRequestRatio: list("cpu", "4")}
	pod := corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("memory", "1Gi")}
	tests := []struct {
		name string
		item corev1.LimitRangeItem
		pod  corev1.PodSpec
		want string
	}{
		{"within", container, corev1.PodSpec{Containers: []corev1.Container{ctr("a", list("cpu", "250m", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi"))}}, ""},
		{"limit above max", container, corev1.PodSpec{Containers: []corev1.Container{ctr("a", list("cpu", "1"), list("cpu", "2", "memory", "1536Mi"))}},
			"[maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 1536Mi]"},
		{"no limit, no request", container, corev1.PodSpec{Containers: []corev1.Container{ctr("a", nil, nil)}},
			"[minimum cpu usage per Container is 100m.  No request is specified, maximum cpu usage per Container is 1.  No limit is specified, " +
				"maximum memory usage per Container is 1Gi.  No limit is specified, cpu max limit to request ratio per Container is 4, but no request is specified or request is 0]"},
		{"request below min", container, corev1.PodSpec{Containers: []corev1.Container{ctr("a", list("cpu", "50m"), list("cpu", "100m", "memory", "1Gi"))}},
			"minimum cpu usage per Container is 100m, but request is 50m"},
		{"ratio too high", container, corev1.PodSpec{Containers: []corev1.Container{ctr("a", list("cpu", "200m"), list("cpu", "1", "memory", "1Gi"))}},
			"cpu max limit to request ratio per Container is 4, but provided ratio is 5.000000"},
		{"pod sum above max", pod, corev1.PodSpec{Containers: []corev1.Container{ctr("a", nil, list("memory", "600Mi")), ctr("b", nil, list("memory", "600Mi"))}},
			"maximum memory usage per Pod is 1Gi, but limit is 1200Mi"},
		{"pod init container floor", pod, corev1.PodSpec{Containers: []corev1.Container{ctr("a", nil, list("memory", "100Mi"))},
			InitContainers: []corev1.Container{ctr("i", nil, list("memory", "2Gi"))}},
			"maximum memory usage per Pod is 1Gi, but limit is 2Gi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePod(rangeOf(tt.item), &corev1.Pod{Spec: tt.pod})
			if got := errString(err); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestValidateClaimAndPlugin(t *testing.T) {
	lr := rangeOf(corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Min: list("storage", "1Gi"), Max: list("storage", "10Gi")})
	claims := schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	tests := []struct {
		name, size string
		op         admission.Operation
		want       string
	}{
		{"fits", "5Gi", admission.Create, ""},
		{"too big", "20Gi", admission.Create, `persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi`},
		{"too small on update", "500Mi", admission.Update, `persistentvolumeclaims "c" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
				Spec: corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: list("storage", tt.size)}}}
			a := &admission.Attributes{Operation: tt.op, Resource: claims, Namespace: "ns", Name: "c", Object: pvc}
			err := (&Plugin{Lookup: admissiontest.NewLookup().Add(limitRanges(), lr)}).Validate(context.Background(), a)
			if got := errString(err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err != nil && !apierrors.IsForbidden(err) {
				t.Errorf("%v is not a 403", err)
			}
		})
	}
}

// Pod updates are not limited: containers are immutable after creation.
func TestPodUpdateSkipped(t *testing.T) {
	lr := rangeOf(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "1")})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{ctr("a", nil, nil)}}}
	a := admissiontest.PodCreate(pod)
	a.Operation = admission.Update
	if err := (&Plugin{Lookup: admissiontest.NewLookup().Add(limitRanges(), lr)}).Validate(context.Background(), a); err != nil {
		t.Fatalf("update refused: %v", err)
	}
}

func TestItemDefaults(t *testing.T) {
	tests := []struct {
		name               string
		item               corev1.LimitRangeItem
		wantLimit, wantReq string
	}{
		{"explicit", corev1.LimitRangeItem{Default: list("cpu", "1"), DefaultRequest: list("cpu", "200m"), Max: list("cpu", "2")}, "1", "200m"},
		{"max becomes default and request", corev1.LimitRangeItem{Max: list("cpu", "2")}, "2", "2"},
		{"default becomes request", corev1.LimitRangeItem{Default: list("cpu", "1"), Min: list("cpu", "100m")}, "1", "1"},
		{"min becomes request", corev1.LimitRangeItem{Min: list("cpu", "100m")}, "<none>", "100m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limits, requests := itemDefaults(tt.item)
			show := func(l corev1.ResourceList) string {
				if q, ok := l["cpu"]; ok {
					return q.String()
				}
				return "<none>"
			}
			if show(limits) != tt.wantLimit || show(requests) != tt.wantReq {
				t.Errorf("limit %s request %s, want %s %s", show(limits), show(requests), tt.wantLimit, tt.wantReq)
			}
		})
	}
}
