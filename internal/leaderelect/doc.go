// Package leaderelect runs a component only while it holds a Lease in
// kube-system, with upstream's timings (lease 15 s, renew 10 s, retry 2 s),
// so several servers can run the controller manager and the scheduler
// safely. It must not know what the component does.
package leaderelect
