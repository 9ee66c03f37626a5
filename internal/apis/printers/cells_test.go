package printers

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func ptr[T any](v T) *T { return &v }

func TestServiceExternalIPAndPorts(t *testing.T) {
	tcp := func(port, nodePort int32) corev1.ServicePort {
		return corev1.ServicePort{Port: port, NodePort: nodePort, Protocol: corev1.ProtocolTCP}
	}
	lb := func(in ...corev1.LoadBalancerIngress) corev1.ServiceStatus {
		return corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: in}}
	}
	tests := []struct {
		name             string
		spec             corev1.ServiceSpec
		status           corev1.ServiceStatus
		clusterIP, extIP string
		ports            string
	}{
		{"cluster ip", corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"10.96.0.10", "fd00::a"},
			Ports: []corev1.ServicePort{tcp(53, 0), {Port: 53, Protocol: corev1.ProtocolUDP}}},
			corev1.ServiceStatus{}, "10.96.0.10", "<none>", "53/TCP,53/UDP"},
		{"cluster ip with external ips", corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"10.96.0.11"},
			ExternalIPs: []string{"1.2.3.4", "5.6.7.8"}, Ports: []corev1.ServicePort{tcp(80, 0)}},
			corev1.ServiceStatus{}, "10.96.0.11", "1.2.3.4,5.6.7.8", "80/TCP"},
		{"headless without ports", corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"None"}},
			corev1.ServiceStatus{}, "None", "<none>", "<none>"},
		{"node port", corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIPs: []string{"10.96.0.12"},
			Ports: []corev1.ServicePort{tcp(80, 30080), tcp(443, 30443)}},
			corev1.ServiceStatus{}, "10.96.0.12", "<none>", "80:30080/TCP,443:30443/TCP"},
		{"load balancer pending", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.13"},
			Ports: []corev1.ServicePort{tcp(80, 31000)}},
			corev1.ServiceStatus{}, "10.96.0.13", "<pending>", "80:31000/TCP"},
		{"load balancer ingress sorted, hostname when no ip", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			lb(corev1.LoadBalancerIngress{IP: "9.9.9.9"}, corev1.LoadBalancerIngress{Hostname: "a.example.com"},
				corev1.LoadBalancerIngress{IP: "9.9.9.9"}),
			"<none>", "9.9.9.9,a.example.com", "<none>"},
		{"load balancer long ingress is not clipped", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			lb(corev1.LoadBalancerIngress{Hostname: "a-very-long-name.elb.example.com"}),
			"<none>", "a-very-long-name.elb.example.com", "<none>"},
		{"load balancer with external ips", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{"1.1.1.1"}},
			lb(corev1.LoadBalancerIngress{IP: "2.2.2.2"}), "<none>", "2.2.2.2,1.1.1.1", "<none>"},
		{"load balancer pending with external ips", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{"1.1.1.1"}},
			corev1.ServiceStatus{}, "<none>", "1.1.1.1", "<none>"},
		{"external name", corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"},
			corev1.ServiceStatus{}, "<none>", "db.example.com", "<none>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: objMeta("s"), Spec: tt.spec, Status: tt.status}
			cells, err := Cells(svc, testNow)
			if err != nil {
				t.Fatal(err)
			}
			got := []interface{}{cells[2], cells[3], cells[4]}
			want := []interface{}{tt.clusterIP, tt.extIP, tt.ports}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("CLUSTER-IP EXTERNAL-IP PORT(S) = %q, want %q", got, want)
			}
		})
	}
}

// kindCase is one object of a covered kind and its expected cells.
type kindCase struct {
	name string
	gk   schema.GroupKind
	obj  runtime.Object
	want []interface{}
}

func TestCellsPerKind(t *testing.T) {
	var cases []kindCase
	cases = append(cases, coreKindCases()...)
	cases = append(cases, workloadKindCases()...)
	cases = append(cases, clusterKindCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Cells(tc.obj, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Cells =\n%#v\nwant\n%#v", got, tc.want)
			}
			if cols := Columns(tc.gk); len(cols) != len(got) {
				t.Errorf("%d columns for %s, %d cells", len(cols), tc.gk, len(got))
			}
		})
	}
}

func coreKindCases() []kindCase {
	core := func(k string) schema.GroupKind { return schema.GroupKind{Kind: k} }
	fs := corev1.PersistentVolumeFilesystem
	return []kindCase{
		{"node", core("Node"), &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n1", CreationTimestamp: ago(49 * time.Hour),
				Labels: map[string]string{"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/control-plane": "",
					"kubernetes.io/role": "infra", "node-role.kubernetes.io/": "x"}},
			Spec: corev1.NodeSpec{Unschedulable: true},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionTrue},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
				Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1"}, {Type: corev1.NodeInternalIP, Address: "192.168.1.10"}},
				NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.33.0", OSImage: "Debian GNU/Linux 13", KernelVersion: "6.12.0"}}},
			[]interface{}{"n1", "Ready,SchedulingDisabled", "control-plane,infra,worker", "2d1h", "v1.33.0",
				"192.168.1.10", "<none>", "Debian GNU/Linux 13", "6.12.0", "<unknown>"}},
		{"node not ready", core("Node"), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}}}},
			[]interface{}{"n2", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"}},
		{"node without conditions", core("Node"), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n3"}},
			[]interface{}{"n3", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"}},
		{"namespace", core("Namespace"), &corev1.Namespace{ObjectMeta: objMeta("ns"), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
			[]interface{}{"ns", "Active", "5m"}},
		{"configmap", core("ConfigMap"), &corev1.ConfigMap{ObjectMeta: objMeta("cm"), Data: map[string]string{"a": "1"},
			BinaryData: map[string][]byte{"b": nil}}, []interface{}{"cm", int64(2), "5m"}},
		{"secret", core("Secret"), &corev1.Secret{ObjectMeta: objMeta("s"), Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{"a": nil}}, []interface{}{"s", "Opaque", int64(1), "5m"}},
		{"service account", core("ServiceAccount"), &corev1.ServiceAccount{ObjectMeta: objMeta("default")},
			[]interface{}{"default", int64(0), "5m"}},
		{"endpoints", core("Endpoints"), &corev1.Endpoints{ObjectMeta: objMeta("e"), Subsets: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{{IP: "10.0.0.1"}, {IP: "10.0.0.2"}},
				Ports: []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}}},
			{Addresses: []corev1.EndpointAddress{{IP: "fd00::1"}}}}},
			[]interface{}{"e", "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...", "5m"}},
		{"endpoints empty", core("Endpoints"), &corev1.Endpoints{ObjectMeta: objMeta("e")}, []interface{}{"e", "<none>", "5m"}},
		{"event", core("Event"), &corev1.Event{ObjectMeta: objMeta("p.1"),
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", FieldPath: "spec.containers{c}"},
			Reason:         "Pulled", Message: " pulled image \n", Type: "Normal",
			Source:         corev1.EventSource{Component: "kubelet", Host: "n1"},
			FirstTimestamp: ago(10 * time.Minute), LastTimestamp: ago(time.Minute), Count: 3},
			[]interface{}{"60s", "Normal", "Pulled", "pod/p", "spec.containers{c}", "kubelet, n1", "pulled image", "10m", int64(3), "p.1"}},
		{"event new api", core("Event"), &corev1.Event{ObjectMeta: objMeta("e.2"),
			InvolvedObject: corev1.ObjectReference{Kind: "Node"}, Type: "Warning", Reason: "R",
			EventTime: metav1.NewMicroTime(testNow.Add(-2 * time.Minute)), ReportingController: "ctrl"},
			[]interface{}{"2m", "Warning", "R", "node", "", "ctrl", "", "2m", int64(1), "e.2"}},
		{"persistent volume", core("PersistentVolume"), &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: "pv", CreationTimestamp: ago(time.Hour)},
			Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain, StorageClassName: "fast",
				ClaimRef: &corev1.ObjectReference{Namespace: "default", Name: "data"}, VolumeMode: &fs},
			Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
			[]interface{}{"pv", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>", "", "60m", "Filesystem"}},
		{"persistent volume claim", core("PersistentVolumeClaim"), &corev1.PersistentVolumeClaim{ObjectMeta: objMeta("data"),
			Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv", StorageClassName: ptr("fast")},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound,
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			[]interface{}{"data", "Bound", "pv", "1Gi", "RWO", "fast", "<unset>", "5m", "<unset>"}},
		{"pending claim", core("PersistentVolumeClaim"), &corev1.PersistentVolumeClaim{ObjectMeta: objMeta("data")},
			[]interface{}{"data", "", "", "", "", "", "<unset>", "5m", "<unset>"}},
		{"resource quota", core("ResourceQuota"), &corev1.ResourceQuota{ObjectMeta: objMeta("q"), Status: corev1.ResourceQuotaStatus{
			Hard: corev1.ResourceList{"requests.cpu": resource.MustParse("2"), "limits.memory": resource.MustParse("1Gi"), "pods": resource.MustParse("10")},
			Used: corev1.ResourceList{"requests.cpu": resource.MustParse("500m"), "pods": resource.MustParse("3")}}},
			[]interface{}{"q", "5m", "pods: 3/10, requests.cpu: 500m/2", "limits.memory: 0/1Gi"}},
		{"replication controller", core("ReplicationController"), &corev1.ReplicationController{ObjectMeta: objMeta("rc"),
			Spec: corev1.ReplicationControllerSpec{Replicas: ptr(int32(3)), Selector: map[string]string{"app": "web"},
				Template: &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers("web", "log")}}},
			Status: corev1.ReplicationControllerStatus{Replicas: 3, ReadyReplicas: 2}},
			[]interface{}{"rc", int64(3), int64(3), int64(2), "5m", "web,log", "web:1,log:1", "app=web"}},
		{"pod template", core("PodTemplate"), &corev1.PodTemplate{ObjectMeta: objMeta("t"),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers("c")}}},
			[]interface{}{"t", "c", "c:1", "<none>"}},
		{"service", core("Service"), &corev1.Service{ObjectMeta: objMeta("svc"), Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"10.96.0.1"}, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}}},
			[]interface{}{"svc", "ClusterIP", "10.96.0.1", "<none>", "80/TCP", "5m", "app=web"}},
		{"pod", core("Pod"), &corev1.Pod{ObjectMeta: objMeta("p")},
			[]interface{}{"p", "0/0", "", "0", "5m", "<none>", "<none>", "<none>", "<none>"}},
	}
}

func workloadKindCases() []kindCase {
	apps := func(k string) schema.GroupKind { return schema.GroupKind{Group: "apps", Kind: k} }
	batch := func(k string) schema.GroupKind { return schema.GroupKind{Group: "batch", Kind: k} }
	hpa := schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers("web")}}
	deleted := objMeta("j")
	deleted.DeletionTimestamp = &metav1.Time{Time: testNow}
	return []kindCase{
		{"deployment", apps("Deployment"), &appsv1.Deployment{ObjectMeta: objMeta("d"),
			Spec:   appsv1.DeploymentSpec{Replicas: ptr(int32(3)), Selector: sel, Template: tmpl},
			Status: appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}},
			[]interface{}{"d", "2/3", int64(3), int64(2), "5m", "web", "web:1", "app=web"}},
		{"replica set", apps("ReplicaSet"), &appsv1.ReplicaSet{ObjectMeta: objMeta("rs"),
			Spec:   appsv1.ReplicaSetSpec{Replicas: ptr(int32(2)), Selector: sel, Template: tmpl},
			Status: appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 1}},
			[]interface{}{"rs", int64(2), int64(2), int64(1), "5m", "web", "web:1", "app=web"}},
		{"stateful set", apps("StatefulSet"), &appsv1.StatefulSet{ObjectMeta: objMeta("ss"),
			Spec: appsv1.StatefulSetSpec{Replicas: ptr(int32(3)), Template: tmpl}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}},
			[]interface{}{"ss", "3/3", "5m", "web", "web:1"}},
		{"daemon set", apps("DaemonSet"), &appsv1.DaemonSet{ObjectMeta: objMeta("ds"),
			Spec: appsv1.DaemonSetSpec{Selector: sel, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: containers("agent"), NodeSelector: map[string]string{"kubernetes.io/os": "linux"}}}},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2,
				UpdatedNumberScheduled: 3, NumberAvailable: 2}},
			[]interface{}{"ds", int64(3), int64(3), int64(2), int64(3), int64(2), "kubernetes.io/os=linux", "5m",
				"agent", "agent:1", "app=web"}},
		{"controller revision", apps("ControllerRevision"), &appsv1.ControllerRevision{
			ObjectMeta: metav1.ObjectMeta{Name: "ds-5d4", CreationTimestamp: ago(5 * time.Minute),
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "ds", Controller: ptr(true)}}},
			Revision: 2},
			[]interface{}{"ds-5d4", "daemonset.apps/ds", int64(2), "5m"}},
		{"job running", batch("Job"), &batchv1.Job{ObjectMeta: objMeta("j"),
			Spec:   batchv1.JobSpec{Completions: ptr(int32(3)), Selector: sel, Template: tmpl},
			Status: batchv1.JobStatus{Succeeded: 1, StartTime: ptr(ago(90 * time.Second))}},
			[]interface{}{"j", "Running", "1/3", "90s", "5m", "web", "web:1", "app=web"}},
		{"job complete", batch("Job"), &batchv1.Job{ObjectMeta: objMeta("j"),
			Spec: batchv1.JobSpec{Template: tmpl},
			Status: batchv1.JobStatus{Succeeded: 1, StartTime: ptr(ago(4 * time.Minute)), CompletionTime: ptr(ago(time.Minute)),
				Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue},
					{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Complete", "1/1", "3m", "5m", "web", "web:1", "<none>"}},
		{"job parallel failed", batch("Job"), &batchv1.Job{ObjectMeta: objMeta("j"),
			Spec:   batchv1.JobSpec{Parallelism: ptr(int32(4)), Template: tmpl},
			Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Failed", "0/1 of 4", "", "5m", "web", "web:1", "<none>"}},
		{"job terminating beats suspended", batch("Job"), &batchv1.Job{ObjectMeta: deleted, Spec: batchv1.JobSpec{Template: tmpl},
			Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Terminating", "0/1", "", "5m", "web", "web:1", "<none>"}},
		{"job suspended", batch("Job"), &batchv1.Job{ObjectMeta: objMeta("j"), Spec: batchv1.JobSpec{Template: tmpl},
			Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "Suspended", "0/1", "", "5m", "web", "web:1", "<none>"}},
		{"job failure target", batch("Job"), &batchv1.Job{ObjectMeta: objMeta("j"), Spec: batchv1.JobSpec{Template: tmpl},
			Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue}}}},
			[]interface{}{"j", "FailureTarget", "0/1", "", "5m", "web", "web:1", "<none>"}},
		{"cron job", batch("CronJob"), &batchv1.CronJob{ObjectMeta: objMeta("cj"),
			Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", Suspend: ptr(false),
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}}},
			Status: batchv1.CronJobStatus{Active: []corev1.ObjectReference{{Name: "a"}}, LastScheduleTime: ptr(ago(2 * time.Minute))}},
			[]interface{}{"cj", "*/5 * * * *", "<none>", "False", int64(1), "2m", "5m", "web", "web:1", "<none>"}},
		{"hpa v2", hpa, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: objMeta("h"),
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web"},
				MinReplicas:    ptr(int32(1)), MaxReplicas: 5,
				Metrics: []autoscalingv2.MetricSpec{
					{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: "cpu",
						Target: autoscalingv2.MetricTarget{AverageUtilization: ptr(int32(80))}}},
					{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: "memory",
						Target: autoscalingv2.MetricTarget{AverageValue: ptr(resource.MustParse("100Mi"))}}},
					{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
						Target: autoscalingv2.MetricTarget{AverageValue: ptr(resource.MustParse("1k"))}}}}},
			Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, CurrentMetrics: []autoscalingv2.MetricStatus{
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{Name: "cpu",
					Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr(int32(45))}}}}}},
			[]interface{}{"h", "Deployment/web", "cpu: 45%/80%, memory: <unknown>/100Mi + 1 more...", "1", int64(5), int64(2), "5m"}},
		{"hpa v1", hpa, &autoscalingv1.HorizontalPodAutoscaler{ObjectMeta: objMeta("h"),
			Spec: autoscalingv1.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "web"},
				MaxReplicas:    3, TargetCPUUtilizationPercentage: ptr(int32(50))}},
			[]interface{}{"h", "Deployment/web", "cpu: <unknown>/50%", "<unset>", int64(3), int64(0), "5m"}},
		{"pdb", schema.GroupKind{Group: "policy", Kind: "PodDisruptionBudget"}, &policyv1.PodDisruptionBudget{ObjectMeta: objMeta("pdb"),
			Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr(intstr.FromString("50%"))},
			Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}},
			[]interface{}{"pdb", "50%", "N/A", int64(1), "5m"}},
	}
}
