// Package apps defaults and validates the apps/v1 kinds: Deployment,
// ReplicaSet, StatefulSet and DaemonSet (and ControllerRevision metadata).
//
// Pod templates are defaulted and validated through package core. Functions
// here check spec fields only (ObjectMeta is package apis' job); they must
// not read storage, and the workload controllers' behaviour does not belong here.
package apps
