// Package interpodaffinity is the InterPodAffinity plugin: required pod
// affinity and anti-affinity as a filter (including existing pods'
// anti-affinity against the incoming pod) and preferred terms as a score,
// with upstream's reasons and weights. PreFilter and PreScore count
// matching pods per topology pair once per cycle so that Filter and Score
// are a few map lookups per node; PreFilterExtensions update the counts
// for pods preemption removes or nominated pods add. What each node adds
// to PreFilter's counts is remembered (framework.NodeMemo) per incoming
// pod shape and reused only while that node's NodeInfo is unchanged, so
// a cycle rescans only the nodes changed since. It reads only the
// snapshot and the namespace labels it is given; it must not do I/O or
// keep any other state between cycles.
package interpodaffinity
