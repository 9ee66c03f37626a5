// Package tainttoleration is the TaintToleration plugin: it filters out
// nodes with a NoSchedule or NoExecute taint the pod does not tolerate, and
// scores nodes lower for each PreferNoSchedule taint the pod does not
// tolerate. It must not look at spec.unschedulable (NodeUnschedulable does).
package tainttoleration
