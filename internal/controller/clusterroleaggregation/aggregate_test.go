package clusterroleaggregation

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func cr(name string, labels map[string]string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules}
}

func TestAggregate(t *testing.T) {
	get := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	put := rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	toView := map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}
	view := cr("view", nil)
	view.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: toView}}}
	self := cr("view", toView) // a role selecting itself contributes nothing
	self.AggregationRule = view.AggregationRule
	tests := []struct {
		name string
		role *rbacv1.ClusterRole
		all  []*rbacv1.ClusterRole
		want []rbacv1.PolicyRule
	}{
		{"none match", view, []*rbacv1.ClusterRole{view, cr("x", nil, get)}, nil},
		{"union in name order, deduplicated", view, []*rbacv1.ClusterRole{cr("b", toView, put, get), cr("a", toView, get), view}, []rbacv1.PolicyRule{get, put}},
		{"self excluded", self, []*rbacv1.ClusterRole{self, cr("a", toView, get)}, []rbacv1.PolicyRule{get}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Aggregate(tt.role, tt.all)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Aggregate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
