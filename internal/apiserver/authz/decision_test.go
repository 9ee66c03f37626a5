package authz

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/capstan/capstan/internal/apiserver"
)

// fixedAfter is an After authorizer answering one decision, counting asks.
type fixedAfter struct {
	d      Decision
	reason string
	asked  *int
	rules  []authorizationv1.ResourceRule
}

func (f fixedAfter) Decide(context.Context, apiserver.Attributes) (Decision, string, error) {
	*f.asked++
	return f.d, f.reason, nil
}

func (f fixedAfter) Authorize(ctx context.Context, a apiserver.Attributes) (bool, string, error) {
	d, r, err := f.Decide(ctx, a)
	return d == DecisionAllow, r, err
}

func (f fixedAfter) Rules(context.Context, apiserver.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return f.rules, nil, f.d == DecisionNoOpinion, nil
}

// TestChainAfter: After authorizers are asked in order when RBAC allows
// nothing; an explicit deny stops the chain with its reason; RBAC's allow
// is not overridden by a later deny.
func TestChainAfter(t *testing.T) {
	getPods := apiserver.Attributes{ResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "team"}
	tests := []struct {
		name       string
		user       apiserver.User
		after      []Decision
		wantOK     bool
		wantReason string
		wantAsked  []int
	}{
		{"no after", as("bob"), nil, false, "", nil},
		{"deny stops the chain", as("bob"), []Decision{DecisionDeny, DecisionAllow}, false, "r0", []int{1, 0}},
		{"no opinion asks the next", as("bob"), []Decision{DecisionNoOpinion, DecisionAllow}, true, "r1", []int{1, 1}},
		{"all no opinion: reasons joined", as("bob"), []Decision{DecisionNoOpinion, DecisionNoOpinion}, false, "r0, r1", []int{1, 1}},
		{"RBAC allows first", as("reader"), []Decision{DecisionDeny}, true, "", []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := make([]int, len(tt.after))
			var after []apiserver.Authorizer
			for i, d := range tt.after {
				after = append(after, fixedAfter{d: d, reason: "r" + string(rune('0'+i)), asked: &asked[i]})
			}
			c := New(Config{After: after})
			c.rbac.idx.set(testClusterRole("pod-reader", rule([]string{"get"}, core(), "pods")))
			c.rbac.idx.set(testCRB("readers", "pod-reader", rbacv1.Subject{Kind: "User", Name: "reader"}))
			ok, reason, err := c.Authorize(context.Background(), withUser(getPods, tt.user))
			if err != nil || ok != tt.wantOK || (!ok && reason != tt.wantReason) {
				t.Fatalf("Authorize = %v %q %v, want %v %q", ok, reason, err, tt.wantOK, tt.wantReason)
			}
			for i := range asked {
				if asked[i] != tt.wantAsked[i] {
					t.Errorf("after[%d] asked %d times, want %d", i, asked[i], tt.wantAsked[i])
				}
			}
		})
	}
}

func TestChainRulesIncludeAfter(t *testing.T) {
	n := 0
	extra := authorizationv1.ResourceRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"widgets"}}
	c := New(Config{After: []apiserver.Authorizer{fixedAfter{d: DecisionNoOpinion, asked: &n, rules: []authorizationv1.ResourceRule{extra}}}})
	res, _, incomplete, err := c.Rules(context.Background(), as("bob"), "team")
	if err != nil || !incomplete {
		t.Fatalf("Rules: incomplete=%v err=%v, want incomplete from the After authorizer", incomplete, err)
	}
	found := false
	for _, r := range res {
		found = found || (len(r.Resources) == 1 && r.Resources[0] == "widgets")
	}
	if !found {
		t.Errorf("rules %+v lack the After authorizer's", res)
	}
}
