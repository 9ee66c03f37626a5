package authz

import (
	"context"

	"github.com/capstan/capstan/internal/apiserver"
)

// Decision is an authorizer's answer, as upstream's authorizer.Decision.
type Decision int

const (
	// DecisionNoOpinion lets the next authorizer decide.
	DecisionNoOpinion Decision = iota
	// DecisionAllow lets the request proceed.
	DecisionAllow
	// DecisionDeny refuses the request without asking further authorizers.
	DecisionDeny
)

// Decider is implemented by an authorizer in Config.After that can refuse
// outright (a webhook answering denied: true); a plain apiserver.Authorizer
// only allows or has no opinion. err is for faults, as with Authorize.
type Decider interface {
	Decide(ctx context.Context, a apiserver.Attributes) (Decision, string, error)
}

// decide asks az, through Decide when it is a Decider.
func decide(ctx context.Context, az apiserver.Authorizer, a apiserver.Attributes) (Decision, string, error) {
	if d, ok := az.(Decider); ok {
		return d.Decide(ctx, a)
	}
	ok, reason, err := az.Authorize(ctx, a)
	if ok {
		return DecisionAllow, reason, err
	}
	return DecisionNoOpinion, reason, err
}
