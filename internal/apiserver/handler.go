package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// User is the authenticated identity of a request, as upstream's
// user.Info: name, UID, groups and extra attributes (a ServiceAccount
// token's pod, an OIDC claim …).
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// TokenAuthenticator checks one kind of bearer token (ServiceAccount JWTs,
// OIDC ID tokens, a webhook …). ok is false when the token is not valid for
// it; err reports a failure to decide (the webhook is down), which the
// server logs and answers with 401 like any other failure.
type TokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (u User, ok bool, err error)
}

type userKey struct{}

// UserFrom returns the request's authenticated user.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok
}

// publicPath reports paths anonymous clients may read, as upstream's
// system:public-info-viewer role allows.
func publicPath(p string) bool {
	for _, pre := range []string{"/healthz", "/livez", "/readyz", "/version"} {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	s.registerHealth(mux)
	mux.HandleFunc("GET /version", s.serveVersion)
	mux.HandleFunc("GET /version/{$}", s.serveVersion)
	mux.Handle("GET /metrics", s.metricsHandler())
	// Profiling, as upstream's --profiling (on by default); authenticated.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.registerOpenAPI(mux)
	s.registerIssuerDiscovery(mux)
	mux.HandleFunc("/api", s.serveAPI)
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/apis", s.serveAPI)
	mux.HandleFunc("/apis/", s.serveAPI)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errNoSuchPath())
	})
	var h http.Handler = mux
	h = s.withLimits(h)
	h = s.withImpersonation(h)
	h = s.withAudit(h)
	h = s.withAuthentication(h)
	h = s.withAuditID(h)
	h = s.withMetrics(h)
	h = s.withRecovery(h)
	return h
}

// withRecovery turns a panic in a handler into a 500 Status and a log line,
// never a dropped connection without an answer.
func (s *Server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeError(w, r, apierrors.NewInternalError(fmt.Errorf("%v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// clusterInfoPath is the kube-public/cluster-info ConfigMap, readable
// without credentials so joining nodes can find the CA (as kubeadm sets up).
const clusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info"

// withAuthentication accepts client certificates verified against the
// cluster CA (user = CN, groups = O) and bearer tokens (bootstrap tokens,
// then Config.TokenAuthenticators in order). Other requests get
// 401, except for the public health and version paths and cluster-info.
func (s *Server) withAuthentication(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			c := r.TLS.VerifiedChains[0][0]
			u := User{Name: c.Subject.CommonName, Groups: append(append([]string{}, c.Subject.Organization...), "system:authenticated")}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
			return
		}
		if u, ok := UserFrom(r.Context()); ok && u.Name != "" {
			next.ServeHTTP(w, r)
			return
		}
		if tok, ok := bearerToken(r.Header.Get("Authorization")); ok {
			u, ok := s.authenticateToken(r.Context(), tok)
			if !ok {
				s.unauthorized(w, r)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
			return
		}
		if publicPath(r.URL.Path) || (r.Method == http.MethodGet && r.URL.Path == clusterInfoPath) {
			next.ServeHTTP(w, r)
			return
		}
		s.unauthorized(w, r)
	})
}

// WithUser returns ctx carrying u; in-process callers (tests, loopback
// clients) use it to skip TLS authentication.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// writeError writes err as a Status with its code. Unknown errors are
// internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		st = apierrors.NewInternalError(err)
	}
	status := st.Status()
	status.Kind, status.APIVersion = "Status", "v1"
	if status.Code == 0 {
		status.Code = http.StatusInternalServerError
	}
	if status.Code == http.StatusTooManyRequests || status.Code == http.StatusGatewayTimeout {
		if d := status.Details; d != nil && d.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(d.RetryAfterSeconds))
		}
	}
	acc, ok := negotiate(s.codecs, r.Header.Get("Accept"), false)
	if !ok || acc.kind != outputObject {
		acc, _ = negotiate(s.codecs, mediaJSON, false)
	}
	s.writeRaw(w, acc, int(status.Code), &status)
}

// writeRaw encodes obj with acc's serializer as the response body.
func (s *Server) writeRaw(w http.ResponseWriter, acc accepted, code int, obj runtime.Object) {
	enc := acc.info.Serializer
	if acc.pretty && acc.info.PrettySerializer != nil {
		enc = acc.info.PrettySerializer
	}
	w.Header().Set("Content-Type", acc.info.MediaType)
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(code)
	if err := enc.Encode(obj, w); err != nil {
		s.log.Debug("write response", "err", err)
	}
}

// statusSuccess is the Status upstream returns for some deletes.
func statusSuccess(details *metav1.StatusDetails) *metav1.Status {
	return &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess, Details: details}
}

// errNoSuchPath is upstream's answer for a path that names no resource.
func errNoSuchPath() error {
	return apierrors.NewGenericServerResponse(http.StatusNotFound, "", schema.GroupResource{}, "", "", 0, false)
}
