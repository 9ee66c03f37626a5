package job

import "time"

// Pod failure backoff, as upstream: 10s doubling per failure since the last
// success, capped at 6 minutes.
const (
	backoffBase = 10 * time.Second
	backoffMax  = 6 * time.Minute
)

// backoffRecord is what the controller remembers about a Job's recent
// failures. It lives in memory: after a restart the first replacement pods
// are created without delay.
type backoffRecord struct {
	failuresAfterLastSuccess int
	lastFailure              time.Time
}

// backoffDelay is the delay before re-creating pods after failures
// consecutive failures: 0 for none, then 10s, 20s, 40s, … up to 6m.
func backoffDelay(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := backoffBase
	for i := 1; i < failures; i++ {
		d *= 2
		if d >= backoffMax {
			return backoffMax
		}
	}
	return d
}

// remaining is how long pod creation must still wait at now.
func (r backoffRecord) remaining(now time.Time) time.Duration {
	if r.failuresAfterLastSuccess == 0 {
		return 0
	}
	return max(r.lastFailure.Add(backoffDelay(r.failuresAfterLastSuccess)).Sub(now), 0)
}

// next folds one sync's newly counted successes and failures into r;
// lastFailure is the latest finish time among the new failures.
func (r backoffRecord) next(newSucceeded, newFailed int, lastFailure time.Time) backoffRecord {
	if newSucceeded > 0 {
		r = backoffRecord{}
	}
	if newFailed > 0 {
		r.failuresAfterLastSuccess += newFailed
		if lastFailure.After(r.lastFailure) {
			r.lastFailure = lastFailure
		}
	}
	return r
}
