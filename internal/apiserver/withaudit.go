package apiserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/yaml"

	"github.com/capstan/capstan/internal/apiserver/audit"
)

// auditCaptureLimit bounds the response bytes kept for the audit log; a
// larger response is logged without its body.
const auditCaptureLimit = 16 << 20

// withAudit records audit events for authenticated requests (Config.Audit;
// nil disables it) and sets the Audit-Id response header, reusing the
// request's Audit-ID header when the client sent one, as upstream.
// Requests rejected before it (401, 429) are not audited.
func (s *Server) withAudit(next http.Handler) http.Handler {
	if s.cfg.Audit == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Audit-ID")
		if id == "" {
			id = string(uuid.NewUUID())
		}
		w.Header().Set("Audit-Id", id)
		attrs, user := auditAttributes(r)
		rec := s.cfg.Audit.Begin(attrs, audit.RequestMeta{
			AuditID: id, RequestURI: r.URL.RequestURI(), User: user,
			SourceIPs: sourceIPs(r), UserAgent: r.UserAgent(),
		})
		if rec == nil {
			next.ServeHTTP(w, r)
			return
		}
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
	info := authnv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	for k, v := range u.Extra {
		if info.Extra == nil {
			info.Extra = map[string]authnv1.ExtraValue{}
		}
		info.Extra[k] = v
	}
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
