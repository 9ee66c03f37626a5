package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/apis"
	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/storage"
)

// TokenIssuer signs ServiceAccount tokens for the serviceaccounts/token
// subresource and publishes what relying parties need to verify them (OIDC
// discovery). Implementations must be safe for concurrent use.
type TokenIssuer interface {
	// IssueToken signs t; t has been checked (the account and the bound
	// object exist with the given UIDs).
	IssueToken(t ServiceAccountToken) (string, error)
	// APIAudiences are the audiences the API server accepts, the default
	// of a TokenRequest without spec.audiences (upstream --api-audiences,
	// defaulting to the issuer).
	APIAudiences() []string
	// OpenIDConfiguration is the /.well-known/openid-configuration document
	// and JWKS the /openid/v1/jwks key set (both JSON).
	OpenIDConfiguration() []byte
	JWKS() []byte
}

// ServiceAccountToken is what a token says: whose it is, for whom, until
// when, and the object it is bound to.
type ServiceAccountToken struct {
	Namespace, Name, UID string
	Audiences            []string
	IssuedAt, Expires    time.Time
	// WarnAfter, when set, is when a client should have refreshed the
	// token (tokens whose lifetime the server extended).
	WarnAfter time.Time
	// Pod, Secret and Node are the bound object; a pod-bound token also
	// names the pod's node when it has one.
	Pod, Secret, Node *BoundObject
}

// BoundObject names the object a token is bound to.
type BoundObject struct{ Name, UID string }

// Token request limits and extension, as upstream kube-apiserver: tokens
// live 10 minutes to 2^32 seconds, default 1 hour; a pod-bound token for the
// API audiences asking for exactly 3607 s (what the ServiceAccount admission
// plugin's projected volume asks for) is extended to a year with warnafter
// at 3607 s (--service-account-extend-token-expiration, default true); its
// status still shows the 3607 s the client asked for.
const (
	minTokenSeconds      = 10 * 60
	maxTokenSeconds      = 1 << 32
	defaultTokenSeconds  = 60 * 60
	warnOnlyTokenSeconds = 3607
	extendedTokenSeconds = 365 * 24 * 60 * 60
)

type audiencesKey struct{}

// WithAudiences returns ctx asking token authenticators to accept the
// given audiences instead of the API audiences (TokenReview spec.audiences).
func WithAudiences(ctx context.Context, auds []string) context.Context {
	return context.WithValue(ctx, audiencesKey{}, auds)
}

// AudiencesFrom returns the audiences set by WithAudiences.
func AudiencesFrom(ctx context.Context) ([]string, bool) {
	a, ok := ctx.Value(audiencesKey{}).([]string)
	return a, ok && len(a) > 0
}

// NewStoreLookup returns reads of built-in objects from store in their
// served version, for components composed around the API server (the
// ServiceAccount token authenticator) that must read through the store.
func NewStoreLookup(store *storage.Store) (admission.Lookup, error) {
	scheme, err := apis.NewScheme()
	if err != nil {
		return nil, fmt.Errorf("build scheme: %w", err)
	}
	s := &Server{store: store, byGVR: map[schema.GroupVersionResource]*Resource{}}
	for _, r := range builtinResources(scheme) {
		s.byGVR[r.GVR()] = r
	}
	return storeLookup{s}, nil
}

// createToken serves POST serviceaccounts/{name}/token, as upstream's
// TokenRequest REST: it checks the request, the account and the bound
// object, and answers with a signed token and its expiry.
func (s *Server) createToken(rq *request) error {
	issuer := s.cfg.ServiceAccountIssuer
	if issuer == nil {
		return errNoSuchPath()
	}
	obj, err := s.decodeBody(rq, authenticationv1.SchemeGroupVersion.WithKind("TokenRequest"))
	if err != nil {
		return err
	}
	tr := obj.(*authenticationv1.TokenRequest)
	if err := validateTokenRequest(tr, rq.ri.namespace, rq.ri.name); err != nil {
		return err
	}
	// Admission sees the TokenRequest (NodeRestriction limits nodes to
	// tokens bound to their own pods).
	attrs := admissionAttributes(rq, admission.Create, tr, nil)
	attrs.Kind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")
	if err := s.mutate(rq, attrs); err != nil {
		return err
	}
	if err := s.validate(rq, attrs); err != nil {
		return err
	}
	if len(tr.Spec.Audiences) == 0 {
		tr.Spec.Audiences = slices.Clone(issuer.APIAudiences())
	}
	sa, err := s.getObject(rq.ctx, corev1.SchemeGroupVersion.WithResource("serviceaccounts"), rq.ri.namespace, rq.ri.name)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	t := ServiceAccountToken{Namespace: rq.ri.namespace, Name: rq.ri.name, UID: string(sa.(*corev1.ServiceAccount).UID),
		Audiences: tr.Spec.Audiences, IssuedAt: now, Expires: now.Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second)}
	if ref := tr.Spec.BoundObjectRef; ref != nil {
		if err := s.bindToken(rq.ctx, &t, ref); err != nil {
			return err
		}
	}
	if t.Pod != nil && *tr.Spec.ExpirationSeconds == warnOnlyTokenSeconds && subset(tr.Spec.Audiences, issuer.APIAudiences()) {
		t.WarnAfter, t.Expires = t.Expires, now.Add(extendedTokenSeconds*time.Second)
	}
	token, err := issuer.IssueToken(t)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("sign token: %w", err))
	}
	// The status shows the requested lifetime even for an extended token,
	// as upstream, so the kubelet keeps refreshing it on that schedule.
	requested := now.Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second)
	tr.Status = authenticationv1.TokenRequestStatus{Token: token, ExpirationTimestamp: metav1.NewTime(requested)}
	return s.writeObject(rq, http.StatusCreated, tr)
}

// validateTokenRequest defaults and validates tr as upstream does.
func validateTokenRequest(tr *authenticationv1.TokenRequest, namespace, name string) error {
	gk := authenticationv1.SchemeGroupVersion.WithKind("TokenRequest").GroupKind()
	if tr.Name != "" && tr.Name != name {
		return apierrors.NewInvalid(gk, tr.Name, fieldErrs("metadata.name", tr.Name, "must match the service account name if specified"))
	}
	if tr.Namespace != "" && tr.Namespace != namespace {
		return apierrors.NewInvalid(gk, tr.Name, fieldErrs("metadata.namespace", tr.Namespace, "must match the service account namespace if specified"))
	}
	if tr.Spec.ExpirationSeconds == nil {
		exp := int64(defaultTokenSeconds)
		tr.Spec.ExpirationSeconds = &exp
	}
	switch exp := *tr.Spec.ExpirationSeconds; {
	case exp < minTokenSeconds:
		return apierrors.NewInvalid(gk, tr.Name, fieldErrs("spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes"))
	case exp > maxTokenSeconds:
		return apierrors.NewInvalid(gk, tr.Name, fieldErrs("spec.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds"))
	}
	return nil
}

// bindToken checks the bound object and records it in t: it must be a
// Pod (running as this account), Secret or Node that exists with the given
// UID.
func (s *Server) bindToken(ctx context.Context, t *ServiceAccountToken, ref *authenticationv1.BoundObjectReference) error {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var gvr schema.GroupVersionResource
	namespace := t.Namespace
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		gvr = corev1.SchemeGroupVersion.WithResource("pods")
	case gvk.Group == "" && gvk.Kind == "Secret":
		gvr = corev1.SchemeGroupVersion.WithResource("secrets")
	case gvk.Group == "" && gvk.Kind == "Node":
		gvr, namespace = corev1.SchemeGroupVersion.WithResource("nodes"), ""
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
	}
	obj, err := s.getObject(ctx, gvr, namespace, ref.Name)
	if err != nil {
		return err
	}
	var uid string
	switch o := obj.(type) {
	case *corev1.Pod:
		if o.Spec.ServiceAccountName != t.Name {
			return apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", t.Name))
		}
		uid = string(o.UID)
		t.Pod = &BoundObject{Name: o.Name, UID: uid}
		if o.Spec.NodeName != "" {
			t.Node = &BoundObject{Name: o.Spec.NodeName}
			if n, err := s.getObject(ctx, corev1.SchemeGroupVersion.WithResource("nodes"), "", o.Spec.NodeName); err == nil {
				t.Node.UID = string(n.(*corev1.Node).UID)
			}
		}
	case *corev1.Secret:
		uid = string(o.UID)
		t.Secret = &BoundObject{Name: o.Name, UID: uid}
	case *corev1.Node:
		uid = string(o.UID)
		t.Node = &BoundObject{Name: o.Name, UID: uid}
	}
	if ref.UID != "" && string(ref.UID) != uid {
		return apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return nil
}

// getObject reads one object, mapping a missing one to upstream's 404.
func (s *Server) getObject(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	obj, err := storeLookup{s}.Get(ctx, gvr, namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, apierrors.NewInternalError(err)
	}
	return obj, err
}

// subset reports whether every element of a is in b (and a is not empty).
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return len(a) > 0
}

// tokenReview authenticates spec.token as a bearer token would be, for the
// audiences asked (default the API audiences).
func (s *Server) tokenReview(ctx context.Context, spec authenticationv1.TokenReviewSpec) (authenticationv1.TokenReviewStatus, error) {
	var st authenticationv1.TokenReviewStatus
	if spec.Token == "" {
		return st, apierrors.NewBadRequest("spec.token is required")
	}
	auds := spec.Audiences
	if len(auds) == 0 && s.cfg.ServiceAccountIssuer != nil {
		auds = s.cfg.ServiceAccountIssuer.APIAudiences()
	}
	if len(auds) > 0 {
		ctx = WithAudiences(ctx, auds)
	}
	u, ok := s.authenticateToken(ctx, spec.Token)
	st.Authenticated = ok
	if ok {
		st.User, st.Audiences = userInfo(u), auds
	}
	return st, nil
}

// registerIssuerDiscovery serves OIDC discovery for the ServiceAccount
// issuer, to authenticated users the authorizer lets get the path
// (upstream's system:service-account-issuer-discovery role).
func (s *Server) registerIssuerDiscovery(mux *http.ServeMux) {
	issuer := s.cfg.ServiceAccountIssuer
	if issuer == nil {
		return
	}
	serve := func(contentType string, doc func() []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			u, _ := UserFrom(r.Context())
			ok, reason, err := s.cfg.Authorizer.Authorize(r.Context(), Attributes{User: u, Verb: "get", Path: r.URL.Path})
			auditAuthorization(r.Context(), ok, reason, err)
			switch {
			case err != nil:
				s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("authorize: %w", err)))
				return
			case !ok:
				msg := fmt.Sprintf("User %q cannot get path %q", u.Name, r.URL.Path)
				if reason != "" {
					msg += ": " + reason
				}
				s.writeError(w, r, apierrors.NewForbidden(schema.GroupResource{}, "", errors.New(msg)))
				return
			}
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "public, max-age=3600")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(doc())
		}
	}
	for _, p := range []string{"/.well-known/openid-configuration", "/.well-known/openid-configuration/{$}"} {
		mux.HandleFunc("GET "+p, serve("application/json", issuer.OpenIDConfiguration))
	}
	for _, p := range []string{"/openid/v1/jwks", "/openid/v1/jwks/{$}"} {
		mux.HandleFunc("GET "+p, serve("application/jwk-set+json", issuer.JWKS))
	}
}
