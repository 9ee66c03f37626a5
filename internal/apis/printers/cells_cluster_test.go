package printers

import (
	"reflect"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func clusterKindCases() []kindCase {
	gk := func(g, k string) schema.GroupKind { return schema.GroupKind{Group: g, Kind: k} }
	cluster := metav1.ObjectMeta{Name: "c", CreationTimestamp: ago(5 * time.Minute)}
	defaultSC := cluster
	defaultSC.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
	wait := storagev1.VolumeBindingWaitForFirstConsumer
	subjects := []rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "Group", Name: "devs"},
		{Kind: "ServiceAccount", Namespace: "kube-system", Name: "sa"}, {Kind: "User", Name: "bob"}}
	return []kindCase{
		{"network policy", gk("networking.k8s.io", "NetworkPolicy"), &networkingv1.NetworkPolicy{ObjectMeta: objMeta("np")},
			[]interface{}{"np", "<none>", "5m"}},
		{"ingress", gk("networking.k8s.io", "Ingress"), &networkingv1.Ingress{ObjectMeta: objMeta("ing"),
			Spec: networkingv1.IngressSpec{IngressClassName: ptr("nginx"), TLS: []networkingv1.IngressTLS{{}},
				Rules: []networkingv1.IngressRule{{Host: "a.com"}, {}, {Host: "b.com"}, {Host: "c.com"}, {Host: "d.com"}}},
			Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
				Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "5.5.5.5"}}}}},
			[]interface{}{"ing", "nginx", "a.com,b.com,c.com + 2 more...", "5.5.5.5", "80, 443", "5m"}},
		{"ingress without hosts", gk("networking.k8s.io", "Ingress"), &networkingv1.Ingress{ObjectMeta: objMeta("ing")},
			[]interface{}{"ing", "<none>", "*", "", "80", "5m"}},
		{"ingress class", gk("networking.k8s.io", "IngressClass"), &networkingv1.IngressClass{ObjectMeta: cluster,
			Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx", Parameters: &networkingv1.IngressClassParametersReference{
				APIGroup: ptr("k8s.example.com"), Kind: "IngressParameters", Name: "p"}}},
			[]interface{}{"c", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/p", "5m"}},
		{"endpoint slice", gk("discovery.k8s.io", "EndpointSlice"), &discoveryv1.EndpointSlice{ObjectMeta: objMeta("es"),
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Port: ptr(int32(80))}, {Name: ptr("dns")}, {}, {Port: ptr(int32(9))}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1", "10.0.0.2"}}, {Addresses: []string{"10.0.0.3"}}}},
			[]interface{}{"es", "IPv4", "80,dns,* + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3", "5m"}},
		{"empty endpoint slice", gk("discovery.k8s.io", "EndpointSlice"), &discoveryv1.EndpointSlice{ObjectMeta: objMeta("es"),
			AddressType: discoveryv1.AddressTypeIPv6}, []interface{}{"es", "IPv6", "<unset>", "<unset>", "5m"}},
		{"role binding", gk("rbac.authorization.k8s.io", "RoleBinding"), &rbacv1.RoleBinding{ObjectMeta: objMeta("rb"),
			RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "reader"}, Subjects: subjects},
			[]interface{}{"rb", "Role/reader", "5m", "alice, bob", "devs", "kube-system/sa"}},
		{"cluster role binding", gk("rbac.authorization.k8s.io", "ClusterRoleBinding"), &rbacv1.ClusterRoleBinding{ObjectMeta: cluster,
			RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"}},
			[]interface{}{"c", "ClusterRole/admin", "5m", "", "", ""}},
		{"cluster role uses the default table", gk("rbac.authorization.k8s.io", "ClusterRole"), &rbacv1.ClusterRole{ObjectMeta: cluster},
			[]interface{}{"c", "2025-05-01T11:55:00Z"}},
		{"role uses the default table", gk("rbac.authorization.k8s.io", "Role"), &rbacv1.Role{ObjectMeta: objMeta("r")},
			[]interface{}{"r", "2025-05-01T11:55:00Z"}},
		{"limit range uses the default table", gk("", "LimitRange"), &corev1.LimitRange{ObjectMeta: objMeta("lr")},
			[]interface{}{"lr", "2025-05-01T11:55:00Z"}},
		{"storage class", gk("storage.k8s.io", "StorageClass"), &storagev1.StorageClass{ObjectMeta: defaultSC,
			Provisioner: "rancher.io/local-path", VolumeBindingMode: &wait},
			[]interface{}{"c (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", false, "5m"}},
		{"csi driver", gk("storage.k8s.io", "CSIDriver"), &storagev1.CSIDriver{ObjectMeta: cluster,
			Spec: storagev1.CSIDriverSpec{PodInfoOnMount: ptr(true), TokenRequests: []storagev1.TokenRequest{{Audience: "a"}, {Audience: "b"}},
				VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}}},
			[]interface{}{"c", true, true, false, "a,b", false, "Persistent,Ephemeral", "5m"}},
		{"csi node", gk("storage.k8s.io", "CSINode"), &storagev1.CSINode{ObjectMeta: cluster,
			Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{Name: "d"}}}},
			[]interface{}{"c", int64(1), "5m"}},
		{"volume attachment", gk("storage.k8s.io", "VolumeAttachment"), &storagev1.VolumeAttachment{ObjectMeta: cluster,
			Spec: storagev1.VolumeAttachmentSpec{Attacher: "csi.example.com", NodeName: "n1",
				Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr("pv1")}},
			Status: storagev1.VolumeAttachmentStatus{Attached: true}},
			[]interface{}{"c", "csi.example.com", "pv1", "n1", true, "5m"}},
		{"priority class", gk("scheduling.k8s.io", "PriorityClass"), &schedulingv1.PriorityClass{ObjectMeta: cluster,
			Value: 1000, GlobalDefault: true, PreemptionPolicy: ptr(corev1.PreemptLowerPriority)},
			[]interface{}{"c", int64(1000), true, "5m", "PreemptLowerPriority"}},
		{"runtime class", gk("node.k8s.io", "RuntimeClass"), &nodev1.RuntimeClass{ObjectMeta: cluster, Handler: "runc"},
			[]interface{}{"c", "runc", "5m"}},
		{"lease", gk("coordination.k8s.io", "Lease"), &coordinationv1.Lease{ObjectMeta: objMeta("l"),
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr("n1")}},
			[]interface{}{"l", "n1", "5m"}},
		{"csr", gk("certificates.k8s.io", "CertificateSigningRequest"), &certificatesv1.CertificateSigningRequest{ObjectMeta: cluster,
			Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "kubernetes.io/kube-apiserver-client-kubelet",
				Username: "system:node:n1", ExpirationSeconds: ptr(int32(86400))},
			Status: certificatesv1.CertificateSigningRequestStatus{Certificate: []byte("x"),
				Conditions: []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved}}}},
			[]interface{}{"c", "5m", "kubernetes.io/kube-apiserver-client-kubelet", "system:node:n1", "24h", "Approved,Issued"}},
		{"pending csr", gk("certificates.k8s.io", "CertificateSigningRequest"), &certificatesv1.CertificateSigningRequest{ObjectMeta: cluster},
			[]interface{}{"c", "5m", "<none>", "", "<none>", "Pending"}},
	}
}

func TestColumns(t *testing.T) {
	tests := []struct {
		gk    schema.GroupKind
		names []string
		wide  []string
	}{
		{schema.GroupKind{Kind: "Pod"}, []string{"Name", "Ready", "Status", "Restarts", "Age"},
			[]string{"IP", "Node", "Nominated Node", "Readiness Gates"}},
		{schema.GroupKind{Kind: "Node"}, []string{"Name", "Status", "Roles", "Age", "Version"},
			[]string{"Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"}},
		{schema.GroupKind{Kind: "Service"}, []string{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"},
			[]string{"Selector"}},
		{schema.GroupKind{Kind: "Event"}, []string{"Last Seen", "Type", "Reason", "Object", "Message"},
			[]string{"Subobject", "Source", "First Seen", "Count", "Name"}},
		{schema.GroupKind{Group: "apps", Kind: "Deployment"}, []string{"Name", "Ready", "Up-to-date", "Available", "Age"},
			[]string{"Containers", "Images", "Selector"}},
		{schema.GroupKind{Group: "batch", Kind: "Job"}, []string{"Name", "Status", "Completions", "Duration", "Age"},
			[]string{"Containers", "Images", "Selector"}},
		{schema.GroupKind{Kind: "PodTemplate"}, []string{"Name", "Containers", "Images", "Pod Labels"}, nil},
		{schema.GroupKind{Group: "example.com", Kind: "Widget"}, []string{"Name", "Created At"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.gk.String(), func(t *testing.T) {
			var names, wide []string
			for _, c := range Columns(tt.gk) {
				if c.Priority == 0 {
					names = append(names, c.Name)
				} else {
					wide = append(wide, c.Name)
				}
				if c.Description == "" {
					t.Errorf("column %q has no description", c.Name)
				}
			}
			if !reflect.DeepEqual(names, tt.names) || !reflect.DeepEqual(wide, tt.wide) {
				t.Errorf("columns = %v | %v, want %v | %v", names, wide, tt.names, tt.wide)
			}
		})
	}
}

func TestColumnTypesAndFormats(t *testing.T) {
	byName := func(gk schema.GroupKind, name string) metav1.TableColumnDefinition {
		for _, c := range Columns(gk) {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("%s has no column %q", gk, name)
		return metav1.TableColumnDefinition{}
	}
	tests := []struct {
		gk          schema.GroupKind
		column      string
		typ, format string
	}{
		{schema.GroupKind{Kind: "Pod"}, "Name", "string", "name"},
		{schema.GroupKind{Kind: "Pod"}, "Restarts", "string", ""},
		{schema.GroupKind{Kind: "Pod"}, "Age", "string", ""},
		{schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}, "Desired", "integer", ""},
		{schema.GroupKind{Group: "batch", Kind: "CronJob"}, "Suspend", "boolean", ""},
		{schema.GroupKind{Group: "storage.k8s.io", Kind: "VolumeAttachment"}, "Attacher", "string", "name"},
		{schema.GroupKind{Group: "x", Kind: "Y"}, "Created At", "date", ""},
		{schema.GroupKind{Group: "x", Kind: "Y"}, "Name", "string", "name"},
	}
	for _, tt := range tests {
		c := byName(tt.gk, tt.column)
		if c.Type != tt.typ || c.Format != tt.format {
			t.Errorf("%s %q: type %q format %q, want %q %q", tt.gk, tt.column, c.Type, c.Format, tt.typ, tt.format)
		}
	}
}

func TestCellsRejectsObjectWithoutMetadata(t *testing.T) {
	if _, err := Cells(&metav1.Status{}, testNow); err == nil {
		t.Error("Cells(Status) succeeded, want an error: it has no object metadata")
	}
}
