package quota

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func svc(typ corev1.ServiceType, nodePorts ...int32) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, Spec: corev1.ServiceSpec{Type: typ}}
	for _, p := range nodePorts {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 80, NodePort: p})
	}
	return s
}

func pvc(class *string, annotation, size, allocated string) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class}}
	if annotation != "" {
		c.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: annotation}
	}
	if size != "" {
		c.Spec.Resources.Requests = rl("storage", size)
	}
	if allocated != "" {
		c.Status.AllocatedResources = rl("storage", allocated)
	}
	return c
}

func TestObjectUsage(t *testing.T) {
	noAlloc := svc(corev1.ServiceTypeLoadBalancer, 30001, 0, 0)
	noAlloc.Spec.AllocateLoadBalancerNodePorts = ptr(false)
	tests := []struct {
		name string
		gr   schema.GroupResource
		obj  runtime.Object
		want corev1.ResourceList
	}{
		{"ClusterIP service", corev1.Resource("services"), svc(corev1.ServiceTypeClusterIP, 0, 0),
			rl("count/services", "1", "services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
		{"NodePort service counts its ports", corev1.Resource("services"), svc(corev1.ServiceTypeNodePort, 0, 0),
			rl("count/services", "1", "services", "1", "services.nodeports", "2", "services.loadbalancers", "0")},
		{"LoadBalancer service", corev1.Resource("services"), svc(corev1.ServiceTypeLoadBalancer, 0),
			rl("count/services", "1", "services", "1", "services.nodeports", "1", "services.loadbalancers", "1")},
		{"LoadBalancer without node port allocation counts explicit ones", corev1.Resource("services"), noAlloc,
			rl("count/services", "1", "services", "1", "services.nodeports", "1", "services.loadbalancers", "1")},
		{"claim without class", corev1.Resource("persistentvolumeclaims"), pvc(nil, "", "1Gi", ""),
			rl("count/persistentvolumeclaims", "1", "persistentvolumeclaims", "1", "requests.storage", "1Gi")},
		{"claim with class", corev1.Resource("persistentvolumeclaims"), pvc(ptr("gold"), "", "1Gi", ""),
			rl("count/persistentvolumeclaims", "1", "persistentvolumeclaims", "1", "requests.storage", "1Gi",
				"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "1", "gold.storageclass.storage.k8s.io/requests.storage", "1Gi")},
		{"beta annotation wins", corev1.Resource("persistentvolumeclaims"), pvc(ptr("gold"), "bronze", "", ""),
			rl("count/persistentvolumeclaims", "1", "persistentvolumeclaims", "1", "bronze.storageclass.storage.k8s.io/persistentvolumeclaims", "1")},
		{"allocated larger than requested", corev1.Resource("persistentvolumeclaims"), pvc(nil, "", "1Gi", "2Gi"),
			rl("count/persistentvolumeclaims", "1", "persistentvolumeclaims", "1", "requests.storage", "2Gi")},
		{"fractional bytes round up", corev1.Resource("persistentvolumeclaims"), pvc(nil, "", "1500m", ""),
			rl("count/persistentvolumeclaims", "1", "persistentvolumeclaims", "1", "requests.storage", "2")},
		{"configmap has a legacy name", corev1.Resource("configmaps"), &corev1.ConfigMap{}, rl("count/configmaps", "1", "configmaps", "1")},
		{"secret has a legacy name", corev1.Resource("secrets"), &corev1.Secret{}, rl("count/secrets", "1", "secrets", "1")},
		{"rc has a legacy name", corev1.Resource("replicationcontrollers"), &corev1.ReplicationController{},
			rl("count/replicationcontrollers", "1", "replicationcontrollers", "1")},
		{"quota has a legacy name", corev1.Resource("resourcequotas"), &corev1.ResourceQuota{}, rl("count/resourcequotas", "1", "resourcequotas", "1")},
		{"grouped resource", schema.GroupResource{Group: "apps", Resource: "deployments"}, &metav1.PartialObjectMetadata{},
			rl("count/deployments.apps", "1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := For(tt.gr, time.Now).Usage(tt.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, tt.want) {
				t.Errorf("usage = %s, want %s", String(got), String(tt.want))
			}
		})
	}
}

func TestHandles(t *testing.T) {
	small, big := pvc(nil, "", "1Gi", "1Gi"), pvc(nil, "", "1Gi", "2Gi")
	tests := []struct {
		name     string
		gr       schema.GroupResource
		op       Op
		sub      string
		obj, old runtime.Object
		want     bool
	}{
		{"pod create", corev1.Resource("pods"), Create, "", nil, nil, true},
		{"pod update", corev1.Resource("pods"), Update, "", nil, nil, false},
		{"pod status", corev1.Resource("pods"), Update, "status", nil, nil, false},
		{"pod resize", corev1.Resource("pods"), Update, "resize", nil, nil, true},
		{"service update", corev1.Resource("services"), Update, "", nil, nil, true},
		{"pvc update (resize)", corev1.Resource("persistentvolumeclaims"), Update, "", nil, nil, true},
		{"pvc status, allocation changed", corev1.Resource("persistentvolumeclaims"), Update, "status", big, small, true},
		{"pvc status, allocation same", corev1.Resource("persistentvolumeclaims"), Update, "status", small, small, false},
		{"configmap create", corev1.Resource("configmaps"), Create, "", nil, nil, true},
		{"configmap update", corev1.Resource("configmaps"), Update, "", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := For(tt.gr, time.Now).Handles(tt.op, tt.sub, tt.obj, tt.old); got != tt.want {
				t.Errorf("handles = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNeeded(t *testing.T) {
	got := Needed(rl("pods", "3", "requests.storage", "1Gi", "count/deployments.apps", "2", "configmaps", "1", "count/configmaps", "1",
		"gold.storageclass.storage.k8s.io/requests.storage", "1Gi", "count/events", "1"))
	want := []schema.GroupResource{corev1.Resource("persistentvolumeclaims"), corev1.Resource("pods"),
		corev1.Resource("configmaps"), {Group: "apps", Resource: "deployments"}}
	if len(got) != len(want) {
		t.Fatalf("needed = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("needed = %v, want %v", got, want)
		}
	}
}

func TestUsed(t *testing.T) {
	be := pod(ctr("a", nil, nil))
	burst := pod(ctr("a", rl("cpu", "250m", "memory", "64Mi"), nil))
	done := pod(ctr("a", rl("cpu", "1"), nil))
	done.Status.Phase = corev1.PodSucceeded
	objs := []runtime.Object{be, burst, burst, done}
	tests := []struct {
		name   string
		hard   corev1.ResourceList
		scopes []corev1.ResourceQuotaScope
		want   corev1.ResourceList
	}{
		{"pods and cpu", rl("pods", "10", "requests.cpu", "2", "services", "1"), nil,
			rl("pods", "3", "requests.cpu", "500m")},
		{"count/pods includes terminal pods", rl("count/pods", "10"), nil, rl("count/pods", "4")},
		{"BestEffort scope", rl("pods", "10"), []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, rl("pods", "1")},
		{"NotBestEffort scope", rl("pods", "10", "requests.memory", "1Gi"), []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort},
			rl("pods", "2", "requests.memory", "128Mi")},
		{"nothing matched is zero", rl("limits.cpu", "1"), nil, rl("limits.cpu", "0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: tt.hard, Scopes: tt.scopes}}
			got, err := Used(q, corev1.Resource("pods"), objs, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, tt.want) {
				t.Errorf("used = %s, want %s", String(got), String(tt.want))
			}
		})
	}
}
