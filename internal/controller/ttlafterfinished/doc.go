// Package ttlafterfinished is the TTL-after-finished controller: it deletes
// a Job (with Background propagation, so the garbage collector removes its
// pods) once ttlSecondsAfterFinished has passed since its Complete or
// Failed condition, re-reading the Job from the API and deleting it with
// UID and resourceVersion preconditions so that a Job changed meanwhile is
// never deleted on stale data.
//
// When a Job expires is a pure function (expiry.go). It must not touch Jobs
// without ttlSecondsAfterFinished, must not delete pods itself and must not
// read storage directly.
package ttlafterfinished
