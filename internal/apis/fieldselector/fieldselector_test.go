package fieldselector

import (
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestConvert(t *testing.T) {
	pod := schema.GroupKind{Kind: "Pod"}
	tests := []struct {
		gk      schema.GroupKind
		label   string
		want    string
		wantErr string
	}{
		{pod, "spec.nodeName", "spec.nodeName", ""},
		{pod, "status.phase", "status.phase", ""},
		{pod, "status.podIPs", "status.podIPs", ""},
		{pod, "metadata.namespace", "metadata.namespace", ""},
		{pod, "spec.host", "spec.nodeName", ""},
		{pod, "spec.containers", "", "field label not supported: spec.containers"},
		{schema.GroupKind{Kind: "Node"}, "spec.unschedulable", "spec.unschedulable", ""},
		{schema.GroupKind{Kind: "Node"}, "metadata.namespace", "", "field label not supported: metadata.namespace"},
		{schema.GroupKind{Kind: "Namespace"}, "status.phase", "status.phase", ""},
		{schema.GroupKind{Kind: "Namespace"}, "metadata.namespace", "", "field label not supported: metadata.namespace"},
		{schema.GroupKind{Kind: "Secret"}, "type", "type", ""},
		{schema.GroupKind{Kind: "Service"}, "spec.type", "spec.type", ""},
		{schema.GroupKind{Kind: "Service"}, "spec.ports", "", "field label not supported: spec.ports"},
		{schema.GroupKind{Kind: "Event"}, "involvedObject.uid", "involvedObject.uid", ""},
		{schema.GroupKind{Kind: "Event"}, "reportingComponent", "reportingComponent", ""},
		{schema.GroupKind{Kind: "ReplicationController"}, "status.replicas", "status.replicas", ""},
		{schema.GroupKind{Group: "batch", Kind: "Job"}, "status.successful", "status.successful", ""},
		{schema.GroupKind{Group: "batch", Kind: "Job"}, "status.succeeded", "", `field label "status.succeeded" not supported for batchv1.Job`},
		{schema.GroupKind{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}, "spec.signerName", "spec.signerName", ""},
		{schema.GroupKind{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}, "metadata.namespace", "", "field label not supported: metadata.namespace"},
		// Kinds without their own conversion: metadata only, upstream's default text.
		{schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}, "status.replicas", "", `"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"`},
		{schema.GroupKind{Group: "apps", Kind: "Deployment"}, "metadata.name", "metadata.name", ""},
		{schema.GroupKind{Kind: "ConfigMap"}, "metadata.namespace", "metadata.namespace", ""},
		{schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, "metadata.namespace", "metadata.namespace", ""},
	}
	for _, tt := range tests {
		t.Run(tt.gk.String()+"/"+tt.label, func(t *testing.T) {
			got, err := Convert(tt.gk, tt.label)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Convert error = %v, want %q", err, tt.wantErr)
				}
				if Supported(tt.gk, tt.label) {
					t.Errorf("Supported = true, want false")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Convert = %q, %v; want %q", got, err, tt.want)
			}
			if !Supported(tt.gk, tt.label) {
				t.Errorf("Supported = false, want true")
			}
		})
	}
}

func TestFields(t *testing.T) {
	om := metav1.ObjectMeta{Name: "x", Namespace: "ns"}
	cluster := metav1.ObjectMeta{Name: "x"}
	tests := []struct {
		name string
		obj  runtime.Object
		want fields.Set
	}{
		{"pod", &corev1.Pod{ObjectMeta: om,
			Spec: corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyAlways, SchedulerName: "default-scheduler",
				ServiceAccountName: "sa", HostNetwork: true},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
				NominatedNodeName: "n2"}},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "spec.nodeName": "n1", "spec.restartPolicy": "Always",
				"spec.schedulerName": "default-scheduler", "spec.serviceAccountName": "sa", "spec.hostNetwork": "true",
				"status.phase": "Running", "status.podIP": "10.0.0.1", "status.nominatedNodeName": "n2"}},
		{"empty pod", &corev1.Pod{ObjectMeta: om},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "spec.nodeName": "", "spec.restartPolicy": "",
				"spec.schedulerName": "", "spec.serviceAccountName": "", "spec.hostNetwork": "false",
				"status.phase": "", "status.podIP": "", "status.nominatedNodeName": ""}},
		{"node", &corev1.Node{ObjectMeta: cluster, Spec: corev1.NodeSpec{Unschedulable: true}},
			fields.Set{"metadata.name": "x", "spec.unschedulable": "true"}},
		{"namespace", &corev1.Namespace{ObjectMeta: cluster, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			fields.Set{"metadata.name": "x", "status.phase": "Terminating"}},
		{"secret", &corev1.Secret{ObjectMeta: om, Type: corev1.SecretTypeTLS},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "type": "kubernetes.io/tls"}},
		{"service", &corev1.Service{ObjectMeta: om, Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.1", Type: corev1.ServiceTypeNodePort}},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "spec.clusterIP": "10.96.0.1", "spec.type": "NodePort"}},
		{"event source falls back to reporting controller", &corev1.Event{ObjectMeta: om,
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "p", UID: "u1", APIVersion: "v1",
				ResourceVersion: "7", FieldPath: "spec.containers{c}"},
			Reason: "Pulled", Type: "Normal", ReportingController: "kubelet"},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "involvedObject.kind": "Pod",
				"involvedObject.namespace": "ns", "involvedObject.name": "p", "involvedObject.uid": "u1",
				"involvedObject.apiVersion": "v1", "involvedObject.resourceVersion": "7",
				"involvedObject.fieldPath": "spec.containers{c}", "reason": "Pulled", "reportingComponent": "kubelet",
				"source": "kubelet", "type": "Normal"}},
		{"replication controller", &corev1.ReplicationController{ObjectMeta: om, Status: corev1.ReplicationControllerStatus{Replicas: 3}},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "status.replicas": "3"}},
		{"replica set", &appsv1.ReplicaSet{ObjectMeta: om, Status: appsv1.ReplicaSetStatus{Replicas: 2}},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "status.replicas": "2"}},
		{"job", &batchv1.Job{ObjectMeta: om, Status: batchv1.JobStatus{Succeeded: 4}},
			fields.Set{"metadata.name": "x", "metadata.namespace": "ns", "status.successful": "4"}},
		{"csr", &certificatesv1.CertificateSigningRequest{ObjectMeta: cluster,
			Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "kubernetes.io/kubelet-serving"}},
			fields.Set{"metadata.name": "x", "spec.signerName": "kubernetes.io/kubelet-serving"}},
		{"configmap", &corev1.ConfigMap{ObjectMeta: om}, fields.Set{"metadata.name": "x", "metadata.namespace": "ns"}},
		{"cluster role", &rbacv1.ClusterRole{ObjectMeta: cluster}, fields.Set{"metadata.name": "x"}},
		{"persistent volume", &corev1.PersistentVolume{ObjectMeta: cluster}, fields.Set{"metadata.name": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fields(tt.obj); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Fields =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestFieldsMatchSelector(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	tests := []struct {
		selector string
		want     bool
	}{
		{"spec.nodeName=n1,status.phase=Running", true},
		{"spec.nodeName=n2", false},
		{"status.phase!=Running", false},
		{"metadata.namespace=ns", true},
	}
	for _, tt := range tests {
		sel, err := fields.ParseSelector(tt.selector)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.selector, err)
		}
		if got := sel.Matches(Fields(pod)); got != tt.want {
			t.Errorf("%q matches = %v, want %v", tt.selector, got, tt.want)
		}
	}
}
