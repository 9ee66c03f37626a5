package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/yaml"

	"github.com/capstan/capstan/internal/apiserver/audit"
)

// auditCaptureLimit bounds the response bytes kept for the audit log; a
// larger response is logged without its body.
const auditCaptureLimit = 16 << 20

// withAuditID gives every response an Audit-Id header, reusing the
// request's Audit-ID header when the client sent one, as upstream does
// whether or not auditing is on. It runs before authentication, so
// rejected requests carry the ID too.
func (s *Server) withAuditID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Audit-ID")
		if id == "" {
			id = string(uuid.NewUUID())
		}
		w.Header().Set("Audit-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), auditIDKey{}, id)))
	})
}

type auditIDKey struct{}

type auditRecordKey struct{}

// auditID is the request's audit ID (set by withAuditID), or a new one.
func auditID(r *http.Request) string {
	if id, ok := r.Context().Value(auditIDKey{}).(string); ok {
		return id
	}
	return string(uuid.NewUUID())
}

// withAudit records audit events for requests past authentication
// (Config.Audit; nil disables it), including those the in-flight limit
// rejects with 429: it sits between authentication and the limits, as
// upstream. Requests failing authentication are recorded by unauthorized.
func (s *Server) withAudit(next http.Handler) http.Handler {
	if s.cfg.Audit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs, user := auditAttributes(r)
		rec := s.cfg.Audit.Begin(attrs, audit.RequestMeta{
			AuditID: auditID(r), RequestURI: r.URL.RequestURI(), User: user,
			SourceIPs: sourceIPs(r), UserAgent: r.UserAgent(),
		})
		if rec == nil {
			next.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), auditRecordKey{}, rec))
		rec.Emit(audit.StageRequestReceived)
		if attrs.Verb == "create" || (rec.WantsRequestObject() && hasBody(r.Method)) {
			s.auditRequestBody(r, rec)
		}
		aw := &auditWriter{ResponseWriter: w, rec: rec, streaming: streaming(attrs)}
		aw.capture = !aw.streaming && (rec.WantsResponseObject() || attrs.Verb == "delete")
		defer func() {
			if v := recover(); v != nil {
				rec.SetResponse(http.StatusInternalServerError, &metav1.Status{Status: metav1.StatusFailure,
					Message: fmt.Sprintf("APIServer panic'd: %v", v), Reason: metav1.StatusReasonInternalError, Code: http.StatusInternalServerError}, nil)
				rec.Emit(audit.StagePanic)
				panic(v)
			}
		}()
		next.ServeHTTP(aw, r)
		s.auditResponse(aw)
		rec.Emit(audit.StageResponseComplete)
	})
}

// unauthorized answers a request that failed authentication with 401 and,
// when auditing is on, records it as upstream does: no user, stage
// ResponseStarted, a Status saying which credentials were tried.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, apierrors.NewUnauthorized("Unauthorized"))
	if s.cfg.Audit == nil {
		return
	}
	attrs, _ := auditAttributes(r)
	attrs.User, attrs.Groups = "", nil
	rec := s.cfg.Audit.Begin(attrs, audit.RequestMeta{
		AuditID: auditID(r), RequestURI: r.URL.RequestURI(),
		SourceIPs: sourceIPs(r), UserAgent: r.UserAgent(),
	})
	if rec == nil {
		return
	}
	rec.SetResponse(http.StatusUnauthorized, &metav1.Status{Message: authFailedMessage(r), Code: http.StatusUnauthorized}, nil)
	rec.Emit(audit.StageResponseStarted)
}

// authFailedMessage names the credentials a rejected request carried, in
// upstream's words.
func authFailedMessage(r *http.Request) string {
	var tried []string
	if _, _, ok := r.BasicAuth(); ok {
		tried = append(tried, "basic")
	}
	if f := strings.Fields(r.Header.Get("Authorization")); len(f) > 1 && strings.EqualFold(f[0], "bearer") {
		tried = append(tried, "bearer")
	}
	if strings.TrimSpace(r.URL.Query().Get("access_token")) != "" {
		tried = append(tried, "access_token")
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		tried = append(tried, "x509")
	}
	if len(tried) == 0 {
		return "Authentication failed, no credentials provided"
	}
	return "Authentication failed, attempted: " + strings.Join(tried, ", ")
}

// Audit annotations of the authorization decision, as upstream.
const (
	annotationDecision = "authorization.k8s.io/decision"
	annotationReason   = "authorization.k8s.io/reason"
)

// auditImpersonation records on the request's audit event (if any) whom
// the request impersonates.
func auditImpersonation(ctx context.Context, u User) {
	if rec, ok := ctx.Value(auditRecordKey{}).(*audit.Request); ok {
		rec.Impersonate(userInfo(u))
	}
}

// auditAnnotate adds key=value to the request's audit event, if any.
func auditAnnotate(ctx context.Context, key, value string) {
	if rec, ok := ctx.Value(auditRecordKey{}).(*audit.Request); ok {
		rec.Annotate(key, value)
	}
}

// auditAuthorization annotates the request's audit event (if any) with
// the authorizer's answer: allow or forbid and the reason, or only the
// reason "internal error" when the authorizer failed.
func auditAuthorization(ctx context.Context, allowed bool, reason string, err error) {
	switch {
	case allowed:
		auditAnnotate(ctx, annotationDecision, "allow")
		auditAnnotate(ctx, annotationReason, reason)
	case err != nil:
		auditAnnotate(ctx, annotationReason, "internal error")
	default:
		auditAnnotate(ctx, annotationDecision, "forbid")
		auditAnnotate(ctx, annotationReason, reason)
	}
}

// streaming reports long-running requests: their response is a stream,
// never logged, and they get a ResponseStarted event, as upstream.
func streaming(a audit.Attributes) bool {
	if a.Verb == "watch" {
		return true
	}
	switch a.Subresource {
	case "log", "exec", "attach", "portforward", "proxy":
		return a.ResourceRequest
	}
	return false
}

func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// auditAttributes describes r for the audit policy; unauthenticated
// requests are system:anonymous, as upstream.
func auditAttributes(r *http.Request) (audit.Attributes, authnv1.UserInfo) {
	u, ok := UserFrom(r.Context())
	if !ok || u.Name == "" {
		u = User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}
	}
	info := userInfo(u)
	a := audit.Attributes{User: u.Name, Groups: u.Groups, Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	if ri, ok := parseResourcePath(r); ok {
		a.ResourceRequest, a.Verb = true, ri.verb
		a.APIGroup, a.APIVersion = ri.group, ri.version
		a.Resource, a.Subresource = ri.resource, ri.sub
		a.Namespace, a.Name = ri.namespace, ri.name
		if ri.resource == "namespaces" && ri.name != "" {
			a.Namespace = ri.name // upstream: a namespace is in itself
		}
	}
	return a, info
}

// sourceIPs lists X-Forwarded-For, X-Real-Ip and the peer address, as
// upstream, without repeats.
func sourceIPs(r *http.Request) []string {
	var ips []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if net.ParseIP(s) == nil {
			return
		}
		for _, ip := range ips {
			if ip == s {
				return
			}
		}
		ips = append(ips, s)
	}
	for _, f := range strings.Split(r.Header.Get("X-Forwarded-For"), ",") {
		add(f)
	}
	add(r.Header.Get("X-Real-Ip"))
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	add(host)
	return ips
}

// auditRequestBody reads the body (up to the request size limit, leaving
// the rest for the handler to reject) and records it as JSON.
func (s *Server) auditRequestBody(r *http.Request, rec *audit.Request) {
	if r.Body == nil {
		return
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
	if err != nil || int64(len(buf)) > s.cfg.MaxBodyBytes {
		return
	}
	if js := s.auditJSON(r.Header.Get("Content-Type"), buf); js != nil {
		rec.SetRequestObject(js)
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// auditResponse records the response code, Status and body.
func (s *Server) auditResponse(aw *auditWriter) {
	code := aw.code
	if code == 0 {
		code = http.StatusOK
	}
	var body []byte
	if aw.capture && !aw.overflow {
		body = s.auditJSON(aw.Header().Get("Content-Type"), aw.buf.Bytes())
	}
	var status *metav1.Status
	var probe struct{ Kind string }
	if body != nil && json.Unmarshal(body, &probe) == nil && probe.Kind == "Status" {
		status = &metav1.Status{}
		if json.Unmarshal(body, status) != nil {
			status = nil
		}
	}
	aw.rec.SetResponse(code, status, body)
}

// auditJSON returns body as JSON whatever its media type (JSON, YAML,
// protobuf, the patch types), or nil if it cannot be read.
func (s *Server) auditJSON(contentType string, body []byte) []byte {
	if len(body) == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = mediaJSON
	}
	switch {
	case mt == mediaProtobuf:
		obj, _, err := s.codecs.UniversalDeserializer().Decode(body, nil, nil)
		if err != nil {
			return nil
		}
		js, err := json.Marshal(obj)
		if err != nil {
			return nil
		}
		return js
	case strings.HasSuffix(mt, "yaml"):
		js, err := yaml.YAMLToJSON(body)
		if err != nil {
			return nil
		}
		return js
	case strings.HasSuffix(mt, "json"):
		return body
	}
	return nil
}

// auditWriter records the response code, captures the body when the audit
// level needs it, and emits ResponseStarted when a stream starts.
type auditWriter struct {
	http.ResponseWriter
	rec       *audit.Request
	streaming bool
	capture   bool
	overflow  bool
	code      int
	buf       bytes.Buffer
}

func (a *auditWriter) WriteHeader(code int) {
	if a.code == 0 {
		a.code = code
		if code >= 400 {
			a.capture = true // the Status says why
		}
		if a.streaming {
			a.rec.SetResponse(code, nil, nil)
			a.rec.Emit(audit.StageResponseStarted)
		}
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *auditWriter) Write(b []byte) (int, error) {
	if a.code == 0 {
		a.WriteHeader(http.StatusOK)
	}
	if a.capture && !a.overflow {
		if a.buf.Len()+len(b) > auditCaptureLimit {
			a.overflow = true
			a.buf = bytes.Buffer{}
		} else {
			a.buf.Write(b)
		}
	}
	return a.ResponseWriter.Write(b)
}

// Flush lets watch streams through.
func (a *auditWriter) Flush() {
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (a *auditWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }
