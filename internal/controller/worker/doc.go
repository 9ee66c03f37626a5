// Package worker is the shared shell of the controllers: worker goroutines
// taking keys from a rate-limited workqueue and calling a level-triggered
// sync, re-queueing failures with backoff so one bad object never stalls the
// others. It must not know what a controller does.
package worker
