// Package defaultpreemption is the DefaultPreemption PostFilter as far as
// this slice goes: it never evicts anything, but it answers with the
// message upstream gives when preemption cannot help, so users read the
// same text. Victim selection is to come; it must then only nominate and
// evict through the API, never change the snapshot.
package defaultpreemption
