package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver"
	authnwebhook "github.com/capstan/capstan/internal/apiserver/authn/webhook"
	"github.com/capstan/capstan/internal/apiserver/authz"
)

// Options configure an authorization webhook, as kube-apiserver's
// --authorization-webhook-* flags.
type Options struct {
	// ConfigFile is the kubeconfig naming the remote service.
	ConfigFile string
	// AuthorizedTTL and UnauthorizedTTL are how long allowed and other
	// answers are cached; 0 disables caching (kube-apiserver's flags
	// default to 5m and 30s).
	AuthorizedTTL, UnauthorizedTTL time.Duration
	// Timeout bounds one call (default 30s).
	Timeout time.Duration
	Log     *slog.Logger
	Clock   clock.PassiveClock
}

// Authorizer asks the remote service.
type Authorizer struct {
	remote                         *authnwebhook.Remote
	authorizedTTL, unauthorizedTTL time.Duration
	log                            *slog.Logger
	cache                          *authnwebhook.Cache[string, answer]
}

type answer struct {
	decision authz.Decision
	reason   string
}

var (
	_ apiserver.Authorizer = (*Authorizer)(nil)
	_ authz.Decider        = (*Authorizer)(nil)
)

// New reads the config file; it does not contact the service.
func New(opts Options) (*Authorizer, error) {
	remote, err := authnwebhook.LoadRemote(opts.ConfigFile, opts.Timeout)
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Authorizer{remote: remote, authorizedTTL: opts.AuthorizedTTL, unauthorizedTTL: opts.UnauthorizedTTL,
		log: opts.Log, cache: authnwebhook.NewCache[string, answer](opts.Clock, 0)}, nil
}

// Authorize allows what the service allows.
func (z *Authorizer) Authorize(ctx context.Context, a apiserver.Attributes) (bool, string, error) {
	d, reason, err := z.Decide(ctx, a)
	return d == authz.DecisionAllow, reason, err
}

// Decide returns the service's (possibly cached) decision; a failed call
// is logged and is no opinion, without an error.
func (z *Authorizer) Decide(ctx context.Context, a apiserver.Attributes) (authz.Decision, string, error) {
	spec := ReviewSpec(a)
	key, err := json.Marshal(spec)
	if err != nil {
		z.log.Warn("authorization webhook: encode review", "err", err)
		return authz.DecisionNoOpinion, "", nil
	}
	if ans, ok := z.cache.Get(string(key)); ok {
		return ans.decision, ans.reason, nil
	}
	in := &authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: authorizationv1.SchemeGroupVersion.String(), Kind: "SubjectAccessReview"},
		Spec:     spec,
	}
	var out authorizationv1.SubjectAccessReview
	if err := z.remote.Post(ctx, in, &out); err != nil {
		z.log.Warn("authorization webhook failed; no opinion", "url", z.remote.URL(), "err", err)
		return authz.DecisionNoOpinion, "", nil
	}
	ans := decisionOf(out.Status)
	if out.Status.EvaluationError != "" {
		z.log.Debug("authorization webhook evaluation error", "url", z.remote.URL(), "err", out.Status.EvaluationError)
	}
	ttl := z.unauthorizedTTL
	if ans.decision == authz.DecisionAllow {
		ttl = z.authorizedTTL
	}
	z.cache.Set(string(key), ans, ttl)
	return ans.decision, ans.reason, nil
}

// decisionOf maps a review status to a decision: allowed wins over denied,
// as upstream.
func decisionOf(st authorizationv1.SubjectAccessReviewStatus) answer {
	switch {
	case st.Allowed:
		return answer{authz.DecisionAllow, st.Reason}
	case st.Denied:
		return answer{authz.DecisionDeny, st.Reason}
	default:
		return answer{authz.DecisionNoOpinion, st.Reason}
	}
}

// ReviewSpec is the SubjectAccessReview spec upstream sends for a.
func ReviewSpec(a apiserver.Attributes) authorizationv1.SubjectAccessReviewSpec {
	spec := authorizationv1.SubjectAccessReviewSpec{User: a.User.Name, UID: a.User.UID, Groups: a.User.Groups}
	if len(a.User.Extra) > 0 {
		spec.Extra = make(map[string]authorizationv1.ExtraValue, len(a.User.Extra))
		for k, v := range a.User.Extra {
			spec.Extra[k] = authorizationv1.ExtraValue(v)
		}
	}
	if a.ResourceRequest {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.Group,
			Version: a.Version, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	} else {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	}
	return spec
}

// Rules cannot be listed by a webhook: the answer is incomplete, as
// upstream's.
func (z *Authorizer) Rules(context.Context, apiserver.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return nil, nil, true, errNoRules
}

var errNoRules = errors.New("webhook authorizer does not support user rule resolution")
