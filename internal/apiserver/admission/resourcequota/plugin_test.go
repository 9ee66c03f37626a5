package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/admissiontest"
)

// quotaStore is an in-memory quota store with resourceVersions; before
// each of the first Interfere writes it bumps the stored quota's version
// (as a controller write in between would), so the write conflicts.
type quotaStore struct {
	mu        sync.Mutex
	quotas    map[string]*corev1.ResourceQuota
	rv        int
	Interfere int
	Writes    int
	Err       error
}

func newStore(qs ...*corev1.ResourceQuota) *quotaStore {
	s := &quotaStore{quotas: map[string]*corev1.ResourceQuota{}}
	for _, q := range qs {
		s.rv++
		q.ResourceVersion = strconv.Itoa(s.rv)
		s.quotas[q.Name] = q
	}
	return s
}

func (s *quotaStore) Get(context.Context, schema.GroupVersionResource, string, string) (runtime.Object, error) {
	return nil, errors.New("not used")
}

func (s *quotaStore) List(_ context.Context, gvr schema.GroupVersionResource, ns string) ([]runtime.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gvr.Resource != "resourcequotas" {
		return nil, fmt.Errorf("unexpected list of %s", gvr)
	}
	var out []runtime.Object
	for _, q := range s.quotas {
		if q.Namespace == ns {
			out = append(out, q.DeepCopy())
		}
	}
	return out, nil
}

func (s *quotaStore) UpdateQuotaStatus(_ context.Context, q *corev1.ResourceQuota) (*corev1.ResourceQuota, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	cur := s.quotas[q.Name]
	if s.Interfere > 0 {
		s.Interfere--
		s.rv++
		cur.ResourceVersion = strconv.Itoa(s.rv)
	}
	if cur.ResourceVersion != q.ResourceVersion {
		return nil, apierrors.NewConflict(corev1.Resource("resourcequotas"), q.Name, errors.New("modified"))
	}
	s.Writes++
	s.rv++
	next := cur.DeepCopy()
	q.Status.DeepCopyInto(&next.Status)
	next.ResourceVersion = strconv.Itoa(s.rv)
	s.quotas[q.Name] = next
	return next.DeepCopy(), nil
}

func (s *quotaStore) used(name string, r corev1.ResourceName) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quotas[name].Status.Used[r]
	return q.String()
}

func quotaOf(name string, pods string, used string) *corev1.ResourceQuota {
	hard := corev1.ResourceList{corev1.ResourcePods: resource.MustParse(pods)}
	return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.ResourceQuotaSpec{Hard: hard},
		Status: corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse(used)}}}
}

func newPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
}

func TestValidate(t *testing.T) {
	boom := errors.New("etcd down")
	tests := []struct {
		name      string
		store     *quotaStore
		attrs     func() *admission.Attributes
		wantErr   string
		wantForb  bool
		wantUsed  string
		wantWrite int
	}{
		{"admitted and recorded", newStore(quotaOf("q", "3", "1")), func() *admission.Attributes { return admissiontest.PodCreate(newPod("p")) },
			"", false, "2", 1},
		{"refused at the limit", newStore(quotaOf("compute-quota", "3", "3")), func() *admission.Attributes { return admissiontest.PodCreate(newPod("p")) },
			`pods "p" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3`, true, "3", 0},
		{"dry run checks but records nothing", newStore(quotaOf("q", "3", "1")), func() *admission.Attributes {
			a := admissiontest.PodCreate(newPod("p"))
			a.DryRun = true
			return a
		}, "", false, "1", 0},
		{"conflict retried", func() *quotaStore { s := newStore(quotaOf("q", "3", "1")); s.Interfere = 2; return s }(),
			func() *admission.Attributes { return admissiontest.PodCreate(newPod("p")) }, "", false, "2", 1},
		{"conflicts exhaust the retries", func() *quotaStore { s := newStore(quotaOf("q", "3", "1")); s.Interfere = 10; return s }(),
			func() *admission.Attributes { return admissiontest.PodCreate(newPod("p")) }, "modified", false, "1", 0},
		{"write fault", func() *quotaStore { s := newStore(quotaOf("q", "3", "1")); s.Err = boom; return s }(),
			func() *admission.Attributes { return admissiontest.PodCreate(newPod("p")) }, "etcd down", false, "1", 0},
		{"cluster-scoped resource ignored", newStore(quotaOf("q", "0", "0")), func() *admission.Attributes {
			return &admission.Attributes{Operation: admission.Create, Resource: corev1.SchemeGroupVersion.WithResource("nodes"), Object: &corev1.Node{}}
		}, "", false, "0", 0},
		{"events ignored", newStore(quotaOf("q", "0", "0")), func() *admission.Attributes {
			return &admission.Attributes{Operation: admission.Create, Resource: corev1.SchemeGroupVersion.WithResource("events"), Namespace: "ns", Object: &corev1.Event{}}
		}, "", false, "0", 0},
		{"delete ignored", newStore(quotaOf("q", "0", "0")), func() *admission.Attributes {
			a := admissiontest.PodCreate(newPod("p"))
			a.Operation = admission.Delete
			return a
		}, "", false, "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plugin{Lookup: tt.store}
			err := p.Validate(context.Background(), tt.attrs())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantForb != apierrors.IsForbidden(err) {
				t.Errorf("forbidden = %v, want %v (%v)", apierrors.IsForbidden(err), tt.wantForb, err)
			}
			var name string
			for n := range tt.store.quotas {
				name = n
			}
			if got := tt.store.used(name, corev1.ResourcePods); got != tt.wantUsed {
				t.Errorf("used pods = %s, want %s", got, tt.wantUsed)
			}
			if tt.store.Writes != tt.wantWrite {
				t.Errorf("writes = %d, want %d", tt.store.Writes, tt.wantWrite)
			}
		})
	}
}

// TestValidateConcurrent: 20 creates against pods=5 admit exactly 5.
func TestValidateConcurrent(t *testing.T) {
	store := newStore(quotaOf("q", "5", "0"))
	p := &Plugin{Lookup: store}
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := range 20 {
		wg.Go(func() {
			err := p.Validate(context.Background(), admissiontest.PodCreate(newPod(fmt.Sprintf("p%d", i))))
			if err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			} else if !apierrors.IsForbidden(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
	wg.Wait()
	if admitted != 5 || store.used("q", corev1.ResourcePods) != "5" {
		t.Errorf("admitted %d, used %s; want 5 and 5", admitted, store.used("q", corev1.ResourcePods))
	}
	if len(p.batches.queues) != 0 {
		t.Errorf("%d namespace queues left", len(p.batches.queues))
	}
}

// TestRetrySkipsWrittenQuotas: when one of two quotas was written and the
// other conflicted, the retry charges only the second.
func TestRetrySkipsWrittenQuotas(t *testing.T) {
	store := newStore(quotaOf("a", "5", "0"), quotaOf("b", "5", "0"))
	// The first write (whichever quota) conflicts once.
	store.Interfere = 1
	p := &Plugin{Lookup: store}
	if err := p.Validate(context.Background(), admissiontest.PodCreate(newPod("p"))); err != nil {
		t.Fatal(err)
	}
	if a, b := store.used("a", corev1.ResourcePods), store.used("b", corev1.ResourcePods); a != "1" || b != "1" {
		t.Errorf("used a=%s b=%s, want 1 and 1", a, b)
	}
}
