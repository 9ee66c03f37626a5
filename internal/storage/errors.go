package storage

import (
	"errors"
	"fmt"
)

// Error categories. Errors returned by the Store wrap exactly one of these.
var (
	ErrNotFound = errors.New("not found")
	// ErrExists: create of a key that already holds an object.
	ErrExists = errors.New("already exists")
	// ErrConflict: an update or delete precondition (resourceVersion, uid)
	// did not hold.
	ErrConflict = errors.New("conflict")
	// ErrCompacted: the requested revision is older than etcd keeps.
	ErrCompacted = errors.New("compacted")
	// ErrTooLargeRV: the requested revision is newer than the store's.
	ErrTooLargeRV = errors.New("resource version too large")
	// ErrInvalidContinue: a continue token that does not decode.
	ErrInvalidContinue = errors.New("invalid continue token")
)

// CompactedError carries the revisions for the upstream 410 message.
type CompactedError struct {
	Requested, Compacted int64
}

func (e *CompactedError) Error() string {
	return fmt.Sprintf("too old resource version: %d (%d)", e.Requested, e.Compacted)
}

// Unwrap makes errors.Is(err, ErrCompacted) true.
func (e *CompactedError) Unwrap() error { return ErrCompacted }
