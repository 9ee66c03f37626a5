package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan/capstan/internal/storage"
)

// storageError maps a storage error about object name of gr to the API
// error a client sees. Errors that are already API errors pass through.
func storageError(err error, gr schema.GroupResource, name string) error {
	var se apierrors.APIStatus
	var ce *storage.CompactedError
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, storage.ErrNotFound):
		return apierrors.NewNotFound(gr, name)
	case errors.Is(err, storage.ErrExists):
		return apierrors.NewAlreadyExists(gr, name)
	case errors.Is(err, storage.ErrConflict):
		return apierrors.NewConflict(gr, name, errors.Unwrap(err))
	case errors.As(err, &ce):
		return apierrors.NewResourceExpired(ce.Error())
	case errors.Is(err, storage.ErrTooLargeRV):
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusGatewayTimeout, Reason: metav1.StatusReasonTimeout,
			Message: fmt.Sprintf("Timeout: Too large resource version: %v", errors.Unwrap(err)),
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeResourceVersionTooLarge, Message: "Too large resource version"}}, RetryAfterSeconds: 1},
		}}
	case errors.Is(err, storage.ErrInvalidContinue):
		return apierrors.NewBadRequest(fmt.Sprintf("continue key is not valid: %v", err))
	case errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError("request did not complete within the allowed duration", 0)
	}
	return apierrors.NewInternalError(err)
}

// conflictModified is upstream's optimistic-concurrency conflict.
func conflictModified(gr schema.GroupResource, name string) error {
	return apierrors.NewConflict(gr, name, errors.New(registryModifiedMsg))
}

const registryModifiedMsg = "the object has been modified; please apply your changes to the latest version and try again"

// statusError builds an error Status with a message of our own (the
// apimachinery constructors replace it with generic text for some codes).
func statusError(code int32, reason metav1.StatusReason, msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg}}
}
