package audit

import (
	"bytes"
	"encoding/json"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
)

// Sink receives complete events. Write must return quickly (queue the
// event, never do slow I/O inline) and must not keep ev: it is reused.
type Sink interface {
	Write(ev *Event)
}

// Logger decides and records the audit events of requests.
type Logger struct {
	policy *Policy
	sink   Sink
	clock  clock.PassiveClock
}

// NewLogger returns a logger applying policy and writing to sink.
func NewLogger(policy *Policy, sink Sink, clk clock.PassiveClock) *Logger {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Logger{policy: policy, sink: sink, clock: clk}
}

// RequestMeta is what an event says about the request besides Attributes.
type RequestMeta struct {
	AuditID    string
	RequestURI string
	User       authnv1.UserInfo
	SourceIPs  []string
	UserAgent  string
}

// Request is the audit record of one request in flight. It is used by the
// request's goroutine only.
type Request struct {
	decision Decision
	ev       Event
	sink     Sink
	clock    clock.PassiveClock
}

// Begin starts the record of a request, or returns nil if the policy
// logs nothing for it.
func (l *Logger) Begin(a Attributes, m RequestMeta) *Request {
	d := l.policy.Evaluate(a)
	if d.Level == LevelNone {
		return nil
	}
	now := metav1.NewMicroTime(l.clock.Now())
	r := &Request{decision: d, sink: l.sink, clock: l.clock, ev: Event{
		TypeMeta:                 metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
		Level:                    d.Level,
		AuditID:                  types.UID(m.AuditID),
		RequestURI:               m.RequestURI,
		Verb:                     a.Verb,
		User:                     m.User,
		SourceIPs:                m.SourceIPs,
		UserAgent:                m.UserAgent,
		RequestReceivedTimestamp: now,
	}}
	if a.ResourceRequest {
		r.ev.ObjectRef = &ObjectReference{
			Resource: a.Resource, Subresource: a.Subresource,
			Namespace: a.Namespace, Name: a.Name,
			APIGroup: a.APIGroup, APIVersion: a.APIVersion,
		}
	}
	return r
}

// Level is the request's audit level.
func (r *Request) Level() Level { return r.decision.Level }

// WantsRequestObject and WantsResponseObject say whether bodies are
// logged, so the caller only captures what is needed.
func (r *Request) WantsRequestObject() bool { return !r.decision.Level.Less(LevelRequest) }

// WantsResponseObject: see WantsRequestObject.
func (r *Request) WantsResponseObject() bool { return r.decision.Level == LevelRequestResponse }

// SetRequestObject records the request body (a JSON object). When the
// object reference has no name (a create) it fills name, namespace, uid
// and resourceVersion from the body's metadata, as upstream does; it logs
// the body at Request and above.
func (r *Request) SetRequestObject(obj []byte) {
	var m struct {
		Metadata struct {
			Name, Namespace, UID, ResourceVersion string
		} `json:"metadata"`
	}
	// Only creates lack the name; parsing the body costs as much as
	// logging it, so other requests skip it.
	if r.ev.ObjectRef != nil && r.ev.ObjectRef.Name == "" && json.Unmarshal(obj, &m) == nil {
		ref := r.ev.ObjectRef
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&ref.Name, m.Metadata.Name)
		fill(&ref.Namespace, m.Metadata.Namespace)
		fill(&ref.ResourceVersion, m.Metadata.ResourceVersion)
		if ref.UID == "" {
			ref.UID = types.UID(m.Metadata.UID)
		}
	}
	if r.WantsRequestObject() {
		r.ev.RequestObject = r.clean(obj)
	}
}

// SetResponse records the response code, the Status if the response was
// one (errors, some deletes), and the response body at RequestResponse.
func (r *Request) SetResponse(code int, status *metav1.Status, obj []byte) {
	st := &metav1.Status{Code: int32(code)}
	if status != nil {
		st = &metav1.Status{Status: status.Status, Message: status.Message, Reason: status.Reason, Details: status.Details, Code: status.Code}
		if st.Code == 0 {
			st.Code = int32(code)
		}
	}
	r.ev.ResponseStatus = st
	if r.WantsResponseObject() && len(obj) > 0 {
		r.ev.ResponseObject = r.clean(obj)
	}
}

// Annotate sets an annotation of the event (e.g. the authorization
// decision); later events of the request carry it too.
func (r *Request) Annotate(key, value string) {
	if r.ev.Annotations == nil {
		r.ev.Annotations = map[string]string{}
	}
	r.ev.Annotations[key] = value
}

// Impersonate records the user the request acts as; the event's user
// stays the authenticated one.
func (r *Request) Impersonate(u authnv1.UserInfo) { r.ev.ImpersonatedUser = &u }

// Emit writes the event for stage s unless the policy omits it.
func (r *Request) Emit(s Stage) {
	if r.decision.Omits(s) {
		return
	}
	r.ev.Stage = s
	r.ev.StageTimestamp = metav1.NewMicroTime(r.clock.Now())
	r.sink.Write(&r.ev)
}

// clean compacts a JSON body and drops managedFields if the policy says so;
// a body that is not JSON is left out rather than logged unparsed.
func (r *Request) clean(obj []byte) json.RawMessage {
	if r.decision.OmitManagedFields {
		return stripManagedFields(obj)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, obj); err != nil {
		return nil
	}
	return b.Bytes()
}

// stripManagedFields removes metadata.managedFields from an object and
// from the items of a list.
func stripManagedFields(obj []byte) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil
	}
	strip := func(o any) {
		if om, ok := o.(map[string]any); ok {
			if md, ok := om["metadata"].(map[string]any); ok {
				delete(md, "managedFields")
			}
		}
	}
	strip(m)
	if items, ok := m["items"].([]any); ok {
		for _, it := range items {
			strip(it)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return out
}
