package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaultReplicationController(t *testing.T) {
	one := int32(1)
	three := int32(3)
	for _, tc := range []struct {
		name                     string
		in                       v1.ReplicationController
		wantSelector, wantLabels map[string]string
		wantReplicas             *int32
	}{
		{"from template", v1.ReplicationController{Spec: v1.ReplicationControllerSpec{
			Template: &v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}}}}},
			map[string]string{"app": "a"}, map[string]string{"app": "a"}, &one},
		{"kept when set", v1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"own": "x"}},
			Spec: v1.ReplicationControllerSpec{Replicas: &three, Selector: map[string]string{"app": "a"},
				Template: &v1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a", "v": "1"}}}}},
			map[string]string{"app": "a"}, map[string]string{"own": "x"}, &three},
		{"no template", v1.ReplicationController{}, nil, nil, &one},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := tc.in.DeepCopy()
			DefaultReplicationController(rc)
			if !reflect.DeepEqual(rc.Spec.Selector, tc.wantSelector) || !reflect.DeepEqual(rc.Labels, tc.wantLabels) ||
				*rc.Spec.Replicas != *tc.wantReplicas {
				t.Errorf("got selector %v labels %v replicas %d", rc.Spec.Selector, rc.Labels, *rc.Spec.Replicas)
			}
			if rc.Spec.Template != nil && rc.Spec.Template.Spec.RestartPolicy != v1.RestartPolicyAlways {
				t.Errorf("template not defaulted")
			}
		})
	}
}

func validRC() *v1.ReplicationController {
	rc := &v1.ReplicationController{Spec: v1.ReplicationControllerSpec{Template: &v1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}}, Spec: validPod().Spec}}}
	DefaultReplicationController(rc)
	return rc
}

func TestValidateReplicationController(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1.ReplicationController)
		want   []string
	}{
		{"valid", func(*v1.ReplicationController) {}, nil},
		{"no selector", func(rc *v1.ReplicationController) { rc.Spec.Selector = nil }, []string{"FieldValueRequired spec.selector"}},
		{"selector mismatch", func(rc *v1.ReplicationController) { rc.Spec.Selector = map[string]string{"app": "b"} },
			[]string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"negative replicas", func(rc *v1.ReplicationController) { n := int32(-1); rc.Spec.Replicas = &n },
			[]string{"FieldValueInvalid spec.replicas"}},
		{"negative minReadySeconds", func(rc *v1.ReplicationController) { rc.Spec.MinReadySeconds = -1 },
			[]string{"FieldValueInvalid spec.minReadySeconds"}},
		{"restart never", func(rc *v1.ReplicationController) { rc.Spec.Template.Spec.RestartPolicy = v1.RestartPolicyNever },
			[]string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"active deadline", func(rc *v1.ReplicationController) { d := int64(5); rc.Spec.Template.Spec.ActiveDeadlineSeconds = &d },
			[]string{"FieldValueForbidden spec.template.spec.activeDeadlineSeconds"}},
		{"no template", func(rc *v1.ReplicationController) { rc.Spec.Template = nil }, []string{"FieldValueRequired spec.template"}},
		{"template spec error", func(rc *v1.ReplicationController) { rc.Spec.Template.Spec.Containers[0].Image = "" },
			[]string{"FieldValueRequired spec.template.spec.containers[0].image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := validRC()
			tc.mutate(rc)
			fieldtest.ExpectErrors(t, ValidateReplicationController(rc), tc.want...)
		})
	}
}

func TestValidateEndpoints(t *testing.T) {
	node := "node-1"
	ports := []v1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}}
	for _, tc := range []struct {
		name    string
		subsets []v1.EndpointSubset
		want    []string
	}{
		{"valid", []v1.EndpointSubset{{Addresses: []v1.EndpointAddress{{IP: "10.0.0.1", NodeName: &node, Hostname: "web-0"}},
			NotReadyAddresses: []v1.EndpointAddress{{IP: "fd00::1"}}, Ports: ports}}, nil},
		{"no addresses", []v1.EndpointSubset{{Ports: ports}}, []string{"FieldValueRequired subsets[0]"}},
		{"special and bad IPs", []v1.EndpointSubset{{Addresses: []v1.EndpointAddress{{IP: "127.0.0.1"}, {IP: "169.254.1.1"},
			{IP: "0.0.0.0"}, {IP: "224.0.0.5"}, {IP: "::1"}, {IP: "not-an-ip"}}}},
			[]string{"FieldValueInvalid subsets[0].addresses[0].ip", "FieldValueInvalid subsets[0].addresses[1].ip",
				"FieldValueInvalid subsets[0].addresses[2].ip", "FieldValueInvalid subsets[0].addresses[3].ip",
				"FieldValueInvalid subsets[0].addresses[4].ip", "FieldValueInvalid subsets[0].addresses[5].ip"}},
		{"bad hostname and nodeName", []v1.EndpointSubset{{NotReadyAddresses: []v1.EndpointAddress{{IP: "10.0.0.2", Hostname: "A_B", NodeName: &[]string{"Node_1"}[0]}}}},
			[]string{"FieldValueInvalid subsets[0].notReadyAddresses[0].hostname", "FieldValueInvalid subsets[0].notReadyAddresses[0].nodeName"}},
		{"ports need names when several", []v1.EndpointSubset{{Addresses: []v1.EndpointAddress{{IP: "10.0.0.1"}},
			Ports: []v1.EndpointPort{{Port: 80}, {Name: "b", Port: 0, Protocol: "HTTP"}}}},
			[]string{"FieldValueRequired subsets[0].ports[0].name", "FieldValueInvalid subsets[0].ports[1].port",
				"FieldValueNotSupported subsets[0].ports[1].protocol"}},
		{"single port without name", []v1.EndpointSubset{{Addresses: []v1.EndpointAddress{{IP: "10.0.0.1"}}, Ports: []v1.EndpointPort{{Port: 80}}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := &v1.Endpoints{Subsets: tc.subsets}
			DefaultEndpoints(ep)
			fieldtest.ExpectErrors(t, ValidateEndpoints(ep), tc.want...)
		})
	}
}

func TestValidateResourceQuota(t *testing.T) {
	q := resource.MustParse
	for _, tc := range []struct {
		name string
		spec v1.ResourceQuotaSpec
		want []string
	}{
		{"valid", v1.ResourceQuotaSpec{Hard: v1.ResourceList{"pods": q("10"), "requests.cpu": q("2"), "limits.memory": q("4Gi"),
			"count/deployments.apps": q("5"), "requests.nvidia.com/gpu": q("1")}}, nil},
		{"unknown name", v1.ResourceQuotaSpec{Hard: v1.ResourceList{"widgets": q("1")}}, []string{"FieldValueInvalid spec.hard[widgets]"}},
		{"negative and fractional", v1.ResourceQuotaSpec{Hard: v1.ResourceList{"cpu": q("-1"), "pods": q("1.5")}},
			[]string{"FieldValueInvalid spec.hard[cpu]", "FieldValueInvalid spec.hard[pods]"}},
		{"scopes ok", v1.ResourceQuotaSpec{Hard: v1.ResourceList{"pods": q("1")},
			Scopes: []v1.ResourceQuotaScope{v1.ResourceQuotaScopeBestEffort, v1.ResourceQuotaScopeTerminating}}, nil},
		{"unknown scope", v1.ResourceQuotaSpec{Scopes: []v1.ResourceQuotaScope{"Weekend"}}, []string{"FieldValueInvalid spec.scopes"}},
		{"scope for wrong resource", v1.ResourceQuotaSpec{Hard: v1.ResourceList{"cpu": q("1")},
			Scopes: []v1.ResourceQuotaScope{v1.ResourceQuotaScopeBestEffort}}, []string{"FieldValueInvalid spec.scopes"}},
		{"conflicting scopes", v1.ResourceQuotaSpec{Scopes: []v1.ResourceQuotaScope{v1.ResourceQuotaScopeTerminating, v1.ResourceQuotaScopeNotTerminating}},
			[]string{"FieldValueInvalid spec.scopes"}},
		{"scope selector", v1.ResourceQuotaSpec{ScopeSelector: &v1.ScopeSelector{MatchExpressions: []v1.ScopedResourceSelectorRequirement{
			{ScopeName: v1.ResourceQuotaScopePriorityClass, Operator: v1.ScopeSelectorOpIn},
			{ScopeName: "Nope", Operator: v1.ScopeSelectorOpExists}}}},
			[]string{"FieldValueRequired spec.scopeSelector.matchExpressions[0].values", "FieldValueInvalid spec.scopeSelector.matchExpressions[1].scopeName"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateResourceQuota(&v1.ResourceQuota{Spec: tc.spec}), tc.want...)
		})
	}
}

func TestValidateLimitRange(t *testing.T) {
	q := resource.MustParse
	for _, tc := range []struct {
		name   string
		limits []v1.LimitRangeItem
		want   []string
	}{
		{"valid", []v1.LimitRangeItem{{Type: v1.LimitTypeContainer, Min: v1.ResourceList{"cpu": q("100m")}, Max: v1.ResourceList{"cpu": q("2")},
			Default: v1.ResourceList{"cpu": q("1")}, DefaultRequest: v1.ResourceList{"cpu": q("500m")}, MaxLimitRequestRatio: v1.ResourceList{"cpu": q("4")}},
			{Type: v1.LimitTypePod, Max: v1.ResourceList{"memory": q("1Gi")}},
			{Type: v1.LimitTypePersistentVolumeClaim, Min: v1.ResourceList{"storage": q("1Gi")}}}, nil},
		{"min above max", []v1.LimitRangeItem{{Type: v1.LimitTypeContainer, Min: v1.ResourceList{"cpu": q("2")}, Max: v1.ResourceList{"cpu": q("1")}}},
			[]string{"FieldValueInvalid spec.limits[0].min[cpu]"}},
		{"default outside bounds", []v1.LimitRangeItem{{Type: v1.LimitTypeContainer, Max: v1.ResourceList{"memory": q("1Gi")},
			Default: v1.ResourceList{"memory": q("2Gi")}, DefaultRequest: v1.ResourceList{"memory": q("3Gi")}}},
			[]string{"FieldValueInvalid spec.limits[0].default[memory]", "FieldValueInvalid spec.limits[0].defaultRequest[memory]",
				"FieldValueInvalid spec.limits[0].defaultRequest[memory]"}},
		{"ratios", []v1.LimitRangeItem{{Type: v1.LimitTypeContainer, MaxLimitRequestRatio: v1.ResourceList{"cpu": q("500m")}},
			{Type: v1.LimitTypePod, Min: v1.ResourceList{"memory": q("1Gi")}, Max: v1.ResourceList{"memory": q("2Gi")},
				MaxLimitRequestRatio: v1.ResourceList{"memory": q("3")}}},
			[]string{"FieldValueInvalid spec.limits[0].maxLimitRequestRatio[cpu]", "FieldValueInvalid spec.limits[1].maxLimitRequestRatio[memory]"}},
		{"pod defaults and duplicate type", []v1.LimitRangeItem{{Type: v1.LimitTypePod, Default: v1.ResourceList{"cpu": q("1")}},
			{Type: v1.LimitTypePod}}, []string{"FieldValueForbidden spec.limits[0].default", "FieldValueDuplicate spec.limits[1].type"}},
		{"bad type and resource", []v1.LimitRangeItem{{Type: "Node"}, {Type: v1.LimitTypeContainer, Max: v1.ResourceList{"pods": q("1")}}},
			[]string{"FieldValueInvalid spec.limits[0].type", "FieldValueInvalid spec.limits[1].max[pods]"}},
		{"pvc needs storage bound", []v1.LimitRangeItem{{Type: v1.LimitTypePersistentVolumeClaim}},
			[]string{"FieldValueRequired spec.limits[0].limits"}},
		{"hugepages default must equal request", []v1.LimitRangeItem{{Type: v1.LimitTypeContainer,
			Default: v1.ResourceList{"hugepages-2Mi": q("4Mi")}, DefaultRequest: v1.ResourceList{"hugepages-2Mi": q("2Mi")}}},
			[]string{"FieldValueInvalid spec.limits[0].defaultRequest[hugepages-2Mi]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateLimitRange(&v1.LimitRange{Spec: v1.LimitRangeSpec{Limits: tc.limits}}), tc.want...)
		})
	}
}

func TestValidateEvent(t *testing.T) {
	now := metav1.NewMicroTime(time.Unix(1700000000, 0))
	for _, tc := range []struct {
		name string
		ev   v1.Event
		want []string
	}{
		{"old style same namespace", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, InvolvedObject: v1.ObjectReference{Namespace: "ns"}}, nil},
		{"old style cluster object in default", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default"}}, nil},
		{"old style cluster object elsewhere", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}},
			[]string{"FieldValueInvalid involvedObject.namespace"}},
		{"old style long reason is fine", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, InvolvedObject: v1.ObjectReference{Namespace: "ns"},
			Reason: strings.Repeat("r", 200)}, nil},
		{"new style complete", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system"}, EventTime: now,
			ReportingController: "kubelet", ReportingInstance: "node-1", Action: "Pulling", Reason: "Pulling"}, nil},
		{"new style missing fields", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, InvolvedObject: v1.ObjectReference{Namespace: "ns"},
			EventTime: now}, []string{"FieldValueRequired reportingComponent", "FieldValueInvalid reportingComponent", "FieldValueInvalid reportingComponent",
			"FieldValueRequired reportingInstance", "FieldValueRequired action", "FieldValueRequired reason"}},
		{"new style too long", v1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}, InvolvedObject: v1.ObjectReference{Namespace: "ns"},
			EventTime: now, ReportingController: "c", ReportingInstance: "i", Action: "a", Reason: strings.Repeat("r", 129),
			Message: strings.Repeat("m", 1025)}, []string{"FieldValueInvalid reason", "FieldValueInvalid message"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateEvent(&tc.ev), tc.want...)
		})
	}
}
