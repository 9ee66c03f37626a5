package framework

import "strings"

// Code is the outcome class of a plugin call.
type Code int

// Status codes, as in kube-scheduler.
const (
	// Success means the plugin had nothing against the pod (or node).
	Success Code = iota
	// Error is a fault, not a decision: the cycle is aborted and retried.
	Error
	// Unschedulable means the node does not fit now, but could after some
	// change on it (e.g. pods leaving, preemption).
	Unschedulable
	// UnschedulableAndUnresolvable means the node does not fit and
	// removing pods from it would not help (taints, selectors, names).
	UnschedulableAndUnresolvable
	// Skip, returned by PreFilter or PreScore, means the plugin has nothing
	// to do for this pod; its Filter or Score is then not called.
	Skip
)

// String names the code as upstream does.
func (c Code) String() string {
	switch c {
	case Success:
		return "Success"
	case Error:
		return "Error"
	case Unschedulable:
		return "Unschedulable"
	case UnschedulableAndUnresolvable:
		return "UnschedulableAndUnresolvable"
	case Skip:
		return "Skip"
	}
	return "Unknown"
}

// Status is a plugin's answer. A nil *Status means Success. A "no" is a
// status with a non-success code and human reasons; error is only for
// faults (rule 6). Reasons are the phrases counted in the FitError message.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
	// shared marks a status handed out to many callers, never modified.
	shared bool
}

// skipStatus is the Skip status without reasons that NewStatus returns
// instead of allocating one per plugin per cycle. It is never modified:
// WithPlugin names a copy.
var skipStatus = &Status{code: Skip, shared: true}

// NewStatus returns a status with the code and reasons. A Skip without
// reasons may be shared: use WithPlugin, not identity, to tell them apart.
func NewStatus(code Code, reasons ...string) *Status {
	if code == Skip && len(reasons) == 0 {
		return skipStatus
	}
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps a fault as an Error status; nil stays nil.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the code; a nil status is Success.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether the status is Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether the status is Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether the pod was refused (either unschedulable code).
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the reasons; the caller must not modify the slice.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Message joins the reasons with ", ".
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// AsError returns the fault of an Error status, or nil.
func (s *Status) AsError() error {
	if s.Code() != Error {
		return nil
	}
	return s.err
}

// Plugin names the plugin that returned the status ("" if unknown).
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin records the plugin name on s and returns s.
// It writes only when the name differs, so a plugin may return one status
// value, already named, from concurrent Filter calls. A shared status is
// not written: a named copy is returned.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil && s.plugin != name {
		if s.shared {
			c := *s
			c.shared = false
			s = &c
		}
		s.plugin = name
	}
	return s
}
