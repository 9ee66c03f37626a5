package serviceaccount

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver"
)

// Getter reads one object in its served version (core/v1 here); a missing
// object is an error for which apierrors.IsNotFound holds. The object
// belongs to the Getter: the authenticator only reads it. The API server's
// store lookup (apiserver.NewStoreLookup) is one.
type Getter interface {
	Get(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error)
}

// deletedPodLeeway is how long a token bound to a pod being deleted keeps
// working, so the pod can finish its graceful termination.
const deletedPodLeeway = time.Minute

// Authenticator checks ServiceAccount JWTs signed by one Issuer.
type Authenticator struct {
	issuer    string
	audiences []string
	key       any
	algs      []jose.SignatureAlgorithm
	objects   Getter
	clock     clock.PassiveClock
	log       *slog.Logger
	lastUsed  LastUsedRecorder
	cache     *tokenCache
}

var _ apiserver.TokenAuthenticator = (*Authenticator)(nil)

// NewAuthenticator returns an authenticator for the tokens issuer signs,
// reading accounts and bound objects through objects. clk nil is the real
// clock, log nil discards.
func NewAuthenticator(issuer *Issuer, objects Getter, clk clock.PassiveClock, log *slog.Logger) *Authenticator {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{issuer: issuer.issuer, audiences: issuer.audiences, key: issuer.public,
		algs: []jose.SignatureAlgorithm{issuer.alg}, objects: objects, clock: clk, log: log}
}

// RecordLastUsed makes a copy of a that reports uses of legacy tokens to
// r (upstream's last-used label); nil reports nothing.
func (a *Authenticator) RecordLastUsed(r LastUsedRecorder) *Authenticator {
	c := *a
	c.lastUsed = r
	return &c
}

// CacheFor makes a copy of a that remembers tokens whose signature it
// verified for ttl (at most until they expire), so a token used again
// skips parsing and signature checking. Times, audiences and the
// account, Secret, Pod and Node are still checked on every use: deleting
// them revokes the token at once. ttl <= 0 turns caching off.
func (a *Authenticator) CacheFor(ttl time.Duration) *Authenticator {
	c := *a
	c.cache = nil
	if ttl > 0 {
		c.cache = newTokenCache(ttl, a.clock)
	}
	return &c
}

// invalidError is a token that is ours but not (or no longer) valid; its
// text is upstream's reason.
type invalidError struct{ reason string }

func (e *invalidError) Error() string { return e.reason }

func invalid(format string, args ...any) error {
	return &invalidError{reason: fmt.Sprintf(format, args...)}
}

// errNotOurs marks tokens this authenticator does not judge (not a JWT,
// another issuer), which other authenticators may accept.
var errNotOurs = errors.New("not a service account token of this issuer")

// AuthenticateToken implements apiserver.TokenAuthenticator. A token of
// another issuer or an invalid one is (false, nil); err is a failure to
// read the account or bound object.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (apiserver.User, bool, error) {
	u, err := a.Validate(ctx, token)
	var inv *invalidError
	switch {
	case err == nil:
		return u, true, nil
	case errors.Is(err, errNotOurs):
		return apiserver.User{}, false, nil
	case errors.As(err, &inv):
		a.log.Debug("invalid service account token", "reason", inv.reason)
		return apiserver.User{}, false, nil
	}
	return apiserver.User{}, false, err
}

// Validate checks token and returns its user. The accepted audiences are
// those of apiserver.AudiencesFrom(ctx), else the API audiences.
func (a *Authenticator) Validate(ctx context.Context, token string) (apiserver.User, error) {
	v, err := a.verify(token)
	if err != nil {
		return apiserver.User{}, err
	}
	if v.legacy != nil {
		return a.checkLegacy(ctx, token, *v.legacy)
	}
	if err := a.checkClaims(ctx, v.pub, v.k); err != nil {
		return apiserver.User{}, err
	}
	if err := a.checkObjects(ctx, v.k); err != nil {
		return apiserver.User{}, err
	}
	return userOf(v.pub, v.k), nil
}

// verified are the claims of a token whose signature checked out; legacy
// is set for Secret-based tokens.
type verified struct {
	pub    jwt.Claims
	k      kubernetesClaim
	legacy *legacyClaims
}

// verify parses token and checks its signature, or finds it in the cache
// of recently verified tokens.
func (a *Authenticator) verify(token string) (*verified, error) {
	var key [sha256.Size]byte
	if a.cache != nil {
		key = cacheKey(token)
		if v, ok := a.cache.get(key); ok {
			return v, nil
		}
	}
	v, err := a.verifySignature(token)
	if err == nil && a.cache != nil {
		var exp time.Time
		if v.pub.Expiry != nil {
			exp = v.pub.Expiry.Time()
		}
		a.cache.put(key, v, exp)
	}
	return v, err
}

func (a *Authenticator) verifySignature(token string) (*verified, error) {
	if strings.Count(token, ".") != 2 {
		return nil, errNotOurs
	}
	tok, err := jwt.ParseSigned(token, a.algs)
	if err != nil {
		return nil, errNotOurs
	}
	var pub jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&pub); err != nil {
		return nil, errNotOurs
	}
	switch pub.Issuer {
	case LegacyIssuer:
		var lk legacyClaims
		if err := tok.Claims(a.key, &pub, &lk); err != nil {
			return nil, invalid("invalid signature")
		}
		return &verified{pub: pub, legacy: &lk}, nil
	case a.issuer:
		var priv privateClaims
		if err := tok.Claims(a.key, &pub, &priv); err != nil {
			return nil, invalid("invalid signature")
		}
		return &verified{pub: pub, k: priv.Kubernetes}, nil
	}
	return nil, errNotOurs
}

// checkClaims checks times (with go-jose's one-minute leeway, as
// upstream), audience and the shape of the private claim.
func (a *Authenticator) checkClaims(ctx context.Context, pub jwt.Claims, k kubernetesClaim) error {
	switch err := pub.Validate(jwt.Expected{Time: a.clock.Now()}); {
	case errors.Is(err, jwt.ErrExpired):
		return invalid("service account token has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return invalid("service account token is not valid yet")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return invalid("service account token is issued in the future")
	case err != nil:
		return invalid("service account token claims: %v", err)
	}
	if pub.Expiry == nil {
		return invalid("service account token has no expiry")
	}
	auds, ok := apiserver.AudiencesFrom(ctx)
	if !ok {
		auds = a.audiences
	}
	if !slices.ContainsFunc(auds, pub.Audience.Contains) {
		return invalid("token audiences %q is invalid for the target audiences %q", []string(pub.Audience), auds)
	}
	if k.Namespace == "" || k.ServiceAccount.Name == "" || k.ServiceAccount.UID == "" {
		return invalid("service account token is missing its kubernetes.io claims")
	}
	if pub.Subject != Subject(k.Namespace, k.ServiceAccount.Name) {
		return invalid("service account token subject %q does not match its kubernetes.io claims", pub.Subject)
	}
	return nil
}

// checkObjects checks that the account and the bound object still exist
// with the UIDs the token names, as upstream's bound-token validation.
func (a *Authenticator) checkObjects(ctx context.Context, k kubernetesClaim) error {
	ns := k.Namespace
	if err := a.live(ctx, "serviceaccounts", ns, k.ServiceAccount, 0); err != nil {
		return err
	}
	if k.Secret != nil {
		if err := a.live(ctx, "secrets", ns, *k.Secret, 0); err != nil {
			return err
		}
	}
	if k.Pod != nil {
		return a.live(ctx, "pods", ns, *k.Pod, deletedPodLeeway)
	}
	if k.Node != nil {
		return a.live(ctx, "nodes", "", *k.Node, 0)
	}
	return nil
}

// live reads the object r names and checks its UID and that it is not
// being deleted (for longer than leeway).
func (a *Authenticator) live(ctx context.Context, resource, namespace string, r ref, leeway time.Duration) error {
	obj, err := a.objects.Get(ctx, corev1.SchemeGroupVersion.WithResource(resource), namespace, r.Name)
	if apierrors.IsNotFound(err) {
		return invalid("%s %s/%s has been deleted", resource, namespace, r.Name)
	}
	if err != nil {
		return fmt.Errorf("check service account token: %w", err)
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return fmt.Errorf("check service account token: unexpected %T", obj)
	}
	if string(m.GetUID()) != r.UID {
		return invalid("%s UID (%s) does not match claim (%s)", resource, m.GetUID(), r.UID)
	}
	if d := m.GetDeletionTimestamp(); d != nil && d.Add(leeway).Before(a.clock.Now()) {
		return invalid("%s %s/%s is being deleted", resource, namespace, r.Name)
	}
	return nil
}

// userOf is the token's user, as upstream's ServiceAccount user info.
func userOf(pub jwt.Claims, k kubernetesClaim) apiserver.User {
	u := apiserver.User{
		Name:   Subject(k.Namespace, k.ServiceAccount.Name),
		UID:    k.ServiceAccount.UID,
		Groups: []string{allGroup, groupPrefix + k.Namespace},
	}
	extra := map[string][]string{}
	if k.Pod != nil {
		extra[extraPodName], extra[extraPodUID] = []string{k.Pod.Name}, []string{k.Pod.UID}
	}
	if k.Node != nil {
		extra[extraNodeName] = []string{k.Node.Name}
		if k.Node.UID != "" {
			extra[extraNodeUID] = []string{k.Node.UID}
		}
	}
	if pub.ID != "" {
		extra[extraCredentialID] = []string{"JTI=" + pub.ID}
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	return u
}
