package webhook

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver"
)

// Options configure a token webhook, as kube-apiserver's
// --authentication-token-webhook-* flags.
type Options struct {
	// ConfigFile is the kubeconfig naming the remote service.
	ConfigFile string
	// CacheTTL is how long answers are cached; 0 disables caching
	// (kube-apiserver's flag defaults to 2m).
	CacheTTL time.Duration
	// Timeout bounds one call (default 30s).
	Timeout time.Duration
	Log     *slog.Logger
	Clock   clock.PassiveClock
}

// Authenticator asks the remote service about every token it has no
// cached answer for.
type Authenticator struct {
	remote *Remote
	ttl    time.Duration
	log    *slog.Logger
	cache  *Cache[[sha256.Size]byte, review]
}

// review is a cached answer.
type review struct {
	user apiserver.User
	ok   bool
}

var _ apiserver.TokenAuthenticator = (*Authenticator)(nil)

// New reads the config file; it does not contact the service.
func New(opts Options) (*Authenticator, error) {
	remote, err := LoadRemote(opts.ConfigFile, opts.Timeout)
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Authenticator{remote: remote, ttl: opts.CacheTTL, log: opts.Log, cache: NewCache[[sha256.Size]byte, review](opts.Clock, 0)}, nil
}

// AuthenticateToken returns the cached answer for token or asks the
// service. A service that cannot be reached or answers garbage is an
// error (the server then answers 401); such failures are not cached.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (apiserver.User, bool, error) {
	key := sha256.Sum256([]byte(token))
	if r, ok := a.cache.Get(key); ok {
		return r.user, r.ok, nil
	}
	in := &authenticationv1.TokenReview{
		TypeMeta: metav1.TypeMeta{APIVersion: authenticationv1.SchemeGroupVersion.String(), Kind: "TokenReview"},
		Spec:     authenticationv1.TokenReviewSpec{Token: token},
	}
	var out authenticationv1.TokenReview
	if err := a.remote.Post(ctx, in, &out); err != nil {
		a.log.Warn("token webhook failed", "url", a.remote.URL(), "err", err)
		return apiserver.User{}, false, fmt.Errorf("token webhook: %w", err)
	}
	r := reviewResult(out.Status)
	if !r.ok && out.Status.Error != "" {
		a.log.Debug("token webhook refused a token", "url", a.remote.URL(), "reason", out.Status.Error)
	}
	a.cache.Set(key, r, a.ttl)
	return r.user, r.ok, nil
}

// reviewResult maps a TokenReview status to a user; an authenticated
// status without a username is a refusal.
func reviewResult(st authenticationv1.TokenReviewStatus) review {
	if !st.Authenticated || st.User.Username == "" {
		return review{}
	}
	u := apiserver.User{Name: st.User.Username, UID: st.User.UID, Groups: st.User.Groups}
	if len(st.User.Extra) > 0 {
		u.Extra = make(map[string][]string, len(st.User.Extra))
		for k, v := range st.User.Extra {
			u.Extra[k] = []string(v)
		}
	}
	return review{user: u, ok: true}
}
