// Package queue is the scheduling queue: an active heap (priority high
// first, then older pods first), a backoff heap (pods that failed wait
// 1s, 2s, 4s … up to 10s by attempts) and a set of unschedulable pods that
// wait for a cluster event that could make them fit, or at most five
// minutes.
//
// It holds pods, not decisions: it must not call the API or look at nodes.
// Time comes from an injected clock, so tests step it instead of sleeping.
package queue
