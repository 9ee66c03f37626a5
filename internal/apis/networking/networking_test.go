package networking

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestDefaultNetworkPolicy(t *testing.T) {
	np := &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
		Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{}}}},
	}}
	DefaultNetworkPolicy(np)
	if len(np.Spec.PolicyTypes) != 2 || *np.Spec.Egress[0].Ports[0].Protocol != "TCP" {
		t.Errorf("defaults: %+v", np.Spec)
	}
	if errs := ValidateNetworkPolicy(np); len(errs) != 0 {
		t.Errorf("valid policy: %v", errs)
	}
}

func TestValidateIngress(t *testing.T) {
	prefix := networkingv1.PathTypePrefix
	backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}
	ing := func(host, path string, pt *networkingv1.PathType) *networkingv1.Ingress {
		return &networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: path, PathType: pt, Backend: backend}}}}}}}}
	}
	for _, tc := range []struct {
		name string
		ing  *networkingv1.Ingress
		want string
	}{
		{"valid", ing("example.com", "/", &prefix), ""},
		{"wildcard", ing("*.example.com", "/", &prefix), ""},
		{"relative path", ing("example.com", "api", &prefix), "spec.rules[0].http.paths[0].path"},
		{"no path type", ing("example.com", "/", nil), "spec.rules[0].http.paths[0].pathType"},
		{"bad host", ing("Example_com", "/", &prefix), "spec.rules[0].host"},
		{"empty", &networkingv1.Ingress{}, "spec"},
	} {
		errs := ValidateIngress(tc.ing)
		if (tc.want == "" && len(errs) != 0) || (tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want)) {
			t.Errorf("%s: got %v", tc.name, errs)
		}
	}
}

func TestValidateIngressClass(t *testing.T) {
	ok := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "example.com/ingress"}}
	if errs := ValidateIngressClass(ok); len(errs) != 0 {
		t.Errorf("valid: %v", errs)
	}
	if errs := ValidateIngressClass(&networkingv1.IngressClass{}); len(errs) != 1 {
		t.Errorf("missing controller: %v", errs)
	}
	changed := ok.DeepCopy()
	changed.Spec.Controller = "example.com/other"
	if errs := ValidateIngressClassUpdate(changed, ok); len(errs) != 1 {
		t.Errorf("controller change: %v", errs)
	}
}
