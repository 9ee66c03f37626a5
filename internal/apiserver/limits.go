package apiserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// limiter bounds concurrent non-watch requests, split like upstream's
// max-requests-inflight and max-mutating-requests-inflight.
type limiter struct {
	read, mutating chan struct{}
}

func newLimiter(read, mutating int) *limiter {
	return &limiter{read: make(chan struct{}, read), mutating: make(chan struct{}, mutating)}
}

func isMutating(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
}

// isLongRunning reports requests that stream for as long as the client
// wants: watches and the pod subresources proxied to kubelets, as upstream.
func isLongRunning(r *http.Request) bool {
	if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
		return true
	}
	if strings.Contains(r.URL.Path, "/nodes/") && strings.Contains(r.URL.Path+"/", "/proxy/") {
		return true
	}
	i := strings.LastIndexByte(r.URL.Path, '/')
	switch r.URL.Path[i+1:] {
	case "log", "exec", "attach", "portforward":
		return strings.Contains(r.URL.Path, "/pods/")
	}
	return false
}

// withLimits applies the in-flight bound, the body size bound and the
// request timeout. Long-running requests get only the body bound.
func (s *Server) withLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.writeError(w, r, errTooLarge(s.cfg.MaxBodyBytes))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		if isLongRunning(r) {
			next.ServeHTTP(w, r)
			return
		}
		sem := s.limits.read
		if isMutating(r.Method) {
			sem = s.limits.mutating
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		default:
			s.writeError(w, r, &apierrors.StatusError{ErrStatus: metav1.Status{
				Status: metav1.StatusFailure, Code: http.StatusTooManyRequests, Reason: metav1.StatusReasonTooManyRequests,
				Message: "Too many requests, please try again later.",
				Details: &metav1.StatusDetails{RetryAfterSeconds: 1},
			}})
			return
		}
		timeout := s.cfg.RequestTimeout
		if t := r.URL.Query().Get("timeout"); t != "" {
			if d, err := time.ParseDuration(t); err == nil && d > 0 && d < timeout {
				timeout = d
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func errTooLarge(limit int64) error {
	return apierrors.NewRequestEntityTooLargeError("limit is " + strconv.FormatInt(limit, 10))
}

// bodyError maps a failure reading a request body to a Status.
func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge(limit)
	}
	return apierrors.NewBadRequest("error reading request body: " + err.Error())
}
