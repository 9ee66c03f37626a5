// Package nodeunschedulable is the NodeUnschedulable filter: a cordoned node
// (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint. It must not consider
// any other taint (that is TaintToleration's job).
package nodeunschedulable
