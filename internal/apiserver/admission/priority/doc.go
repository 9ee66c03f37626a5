// Package priority is the Priority admission plugin: it resolves a new pod's
// spec.priorityClassName to spec.priority and spec.preemptionPolicy (the
// global default class, or priority 0, when the pod names none), refuses
// pods naming a missing class, and allows only one globalDefault
// PriorityClass. It also defines the two built-in system classes the API
// server bootstraps.
//
// It must not write PriorityClasses itself (the server bootstraps them) and
// must not change pods on update.
package priority
