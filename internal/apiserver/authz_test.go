package apiserver_test

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

// denyPods refuses everything about pods and allows the rest.
type denyPods struct{ apiserver.AllowAll }

func (denyPods) Authorize(_ context.Context, a apiserver.Attributes) (bool, string, error) {
	return a.Resource != "pods", "", nil
}

func TestAuthorizerDecisionsAndMessages(t *testing.T) {
	ctx := context.Background()
	cs := apiservertest.Start(t, func(c *apiserver.Config) { c.Authorizer = denyPods{} }).Clientset(t, false)
	_, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	want := `pods is forbidden: User "test-admin" cannot list resource "pods" in API group "" in the namespace "default"`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("list pods: %v, want %q", err, want)
	}
	_, err = cs.CoreV1().Pods("default").Get(ctx, "p", metav1.GetOptions{})
	want = `pods "p" is forbidden: User "test-admin" cannot get resource "pods" in API group "" in the namespace "default"`
	if err == nil || err.Error() != want {
		t.Fatalf("get pod: %v, want %q", err, want)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("configmaps must be allowed: %v", err)
	}

	for _, tc := range []struct {
		resource string
		allowed  bool
	}{{"pods", false}, {"deployments", true}} {
		ssar := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "default", Verb: "create", Resource: tc.resource}}}
		out, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, ssar, metav1.CreateOptions{})
		if err != nil || out.Status.Allowed != tc.allowed {
			t.Fatalf("can-i create %s: %+v %v, want allowed=%v", tc.resource, out.Status, err, tc.allowed)
		}
	}
	bad := &authorizationv1.SelfSubjectAccessReview{}
	if _, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, bad, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Fatalf("review without attributes: %v, want Invalid", err)
	}
	who, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || who.Status.UserInfo.Username != "test-admin" {
		t.Fatalf("whoami: %+v %v", who, err)
	}
	rules, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}}, metav1.CreateOptions{})
	if err != nil || len(rules.Status.ResourceRules) != 1 || rules.Status.ResourceRules[0].Verbs[0] != "*" {
		t.Fatalf("rules review: %+v %v", rules, err)
	}
}
