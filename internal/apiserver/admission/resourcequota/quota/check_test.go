package quota

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rq is a quota whose controller has observed hard (status.hard) and
// used; nil used means never computed.
func rq(name string, hard, used corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) corev1.ResourceQuota {
	return corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", ResourceVersion: "7"},
		Spec:   corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes},
		Status: corev1.ResourceQuotaStatus{Hard: hard, Used: used}}
}

func TestCheck(t *testing.T) {
	nginx := pod(ctr("nginx", rl("cpu", "500m", "memory", "128Mi"), rl("cpu", "1", "memory", "256Mi")))
	bare := pod(ctr("nginx", nil, nil))
	old := pvc(nil, "", "1Gi", "")
	old.ResourceVersion = "3"
	grown := pvc(nil, "", "3Gi", "")
	tests := []struct {
		name     string
		gr       schema.GroupResource
		req      Request
		quotas   []corev1.ResourceQuota
		wantUsed []corev1.ResourceList // per quota after; nil: unchanged
		wantDeny string
	}{
		{"no quotas", corev1.Resource("pods"), Request{Op: Create, Object: nginx}, nil, nil, ""},
		{"pods within", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("compute-quota", rl("pods", "3"), rl("pods", "2"))},
			[]corev1.ResourceList{rl("pods", "3")}, ""},
		{"pods exceeded", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("compute-quota", rl("pods", "3"), rl("pods", "3"))}, nil,
			"exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3"},
		{"several exceeded, sorted", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("q", rl("pods", "5", "requests.cpu", "1", "limits.memory", "256Mi"), rl("pods", "1", "requests.cpu", "600m", "limits.memory", "128Mi"))}, nil,
			"exceeded quota: q, requested: limits.memory=256Mi,requests.cpu=500m, used: limits.memory=128Mi,requests.cpu=600m, limited: limits.memory=256Mi,requests.cpu=1"},
		{"must specify", corev1.Resource("pods"), Request{Op: Create, Object: bare},
			[]corev1.ResourceQuota{rq("compute-quota", rl("pods", "3", "limits.cpu", "2", "requests.memory", "1Gi"), rl("pods", "0", "limits.cpu", "0", "requests.memory", "0"))}, nil,
			"failed quota: compute-quota: must specify limits.cpu for: nginx; requests.memory for: nginx"},
		{"status never computed: quota does not match yet", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{{ObjectMeta: metav1.ObjectMeta{Name: "new"}, Spec: corev1.ResourceQuotaSpec{Hard: rl("pods", "0")}}}, nil, ""},
		{"usage missing for a limited name", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("q", rl("pods", "3", "requests.cpu", "2"), rl("pods", "1"))}, nil,
			"status unknown for quota: q, resources: pods,requests.cpu"},
		{"two quotas both charged", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("a", rl("pods", "3"), rl("pods", "0")), rq("b", rl("requests.cpu", "2"), rl("requests.cpu", "1"))},
			[]corev1.ResourceList{rl("pods", "1"), rl("requests.cpu", "1500m")}, ""},
		{"out-of-scope quota untouched", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("be", rl("pods", "0"), rl("pods", "0"), corev1.ResourceQuotaScopeBestEffort)}, nil, ""},
		{"quota without pod names untouched", corev1.Resource("pods"), Request{Op: Create, Object: nginx},
			[]corev1.ResourceQuota{rq("svc", rl("services", "0"), rl("services", "0"))}, nil, ""},
		{"pod update is not charged", corev1.Resource("pods"), Request{Op: Update, Object: nginx, OldObject: bare},
			[]corev1.ResourceQuota{rq("q", rl("pods", "0"), rl("pods", "0"))}, nil, ""},
		{"pvc resize charges the growth", corev1.Resource("persistentvolumeclaims"), Request{Op: Update, Object: grown, OldObject: old},
			[]corev1.ResourceQuota{rq("q", rl("requests.storage", "5Gi", "persistentvolumeclaims", "2"), rl("requests.storage", "1Gi", "persistentvolumeclaims", "1"))},
			[]corev1.ResourceList{rl("requests.storage", "3Gi", "persistentvolumeclaims", "1")}, ""},
		{"pvc resize over the limit", corev1.Resource("persistentvolumeclaims"), Request{Op: Update, Object: grown, OldObject: old},
			[]corev1.ResourceQuota{rq("q", rl("requests.storage", "2Gi"), rl("requests.storage", "1Gi"))}, nil,
			"exceeded quota: q, requested: requests.storage=2Gi, used: requests.storage=1Gi, limited: requests.storage=2Gi"},
		{"service nodeports", corev1.Resource("services"), Request{Op: Create, Object: svc(corev1.ServiceTypeNodePort, 0, 0)},
			[]corev1.ResourceQuota{rq("q", rl("services.nodeports", "1"), rl("services.nodeports", "0"))}, nil,
			"exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1"},
		{"ClusterIP service under a nodeports quota", corev1.Resource("services"), Request{Op: Create, Object: svc(corev1.ServiceTypeClusterIP, 0)},
			[]corev1.ResourceQuota{rq("q", rl("services.nodeports", "0"), rl("services.nodeports", "0"))}, nil, ""},
		{"count of a grouped resource", schema.GroupResource{Group: "apps", Resource: "deployments"}, Request{Op: Create, Object: &metav1.PartialObjectMetadata{}},
			[]corev1.ResourceQuota{rq("q", rl("count/deployments.apps", "1"), rl("count/deployments.apps", "1"))}, nil,
			"exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"},
		{"legacy configmaps name", corev1.Resource("configmaps"), Request{Op: Create, Object: &corev1.ConfigMap{}},
			[]corev1.ResourceQuota{rq("q", rl("configmaps", "2"), rl("configmaps", "1"))}, []corev1.ResourceList{rl("configmaps", "2")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make([]corev1.ResourceQuota, len(tt.quotas))
			for i := range tt.quotas {
				tt.quotas[i].DeepCopyInto(&before[i])
			}
			after, err := Check(For(tt.gr, time.Now), tt.quotas, tt.req)
			var d *Denied
			switch {
			case tt.wantDeny != "":
				if !errors.As(err, &d) || d.Message != tt.wantDeny {
					t.Fatalf("err = %v, want denial %q", err, tt.wantDeny)
				}
				return
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			for i := range tt.quotas {
				if !Equal(tt.quotas[i].Status.Used, before[i].Status.Used) {
					t.Errorf("input quota %d changed", i)
				}
			}
			changed := Changed(tt.quotas, after)
			if tt.wantUsed == nil {
				if len(changed) != 0 {
					t.Errorf("quotas %v changed, want none", changed)
				}
				return
			}
			for i, want := range tt.wantUsed {
				if !Equal(after[i].Status.Used, want) {
					t.Errorf("quota %d used = %s, want %s", i, String(after[i].Status.Used), String(want))
				}
			}
		})
	}
}

func TestCheckUpdateWithoutOldObject(t *testing.T) {
	_, err := Check(For(corev1.Resource("services"), time.Now), []corev1.ResourceQuota{rq("q", rl("services", "1"), rl("services", "0"))},
		Request{Op: Update, Object: svc(corev1.ServiceTypeClusterIP)})
	var d *Denied
	if !errors.As(err, &d) {
		t.Fatalf("err = %v, want a denial", err)
	}
}

func TestCheckFault(t *testing.T) {
	_, err := Check(For(corev1.Resource("pods"), time.Now), []corev1.ResourceQuota{rq("q", rl("pods", "1"), rl("pods", "0"), corev1.ResourceQuotaScopeBestEffort)},
		Request{Op: Create, Object: runtime.Object(&corev1.Service{})})
	var d *Denied
	if err == nil || errors.As(err, &d) {
		t.Fatalf("err = %v, want a fault", err)
	}
}
