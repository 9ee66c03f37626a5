// Package scheduling defaults and validates scheduling.k8s.io/v1
// PriorityClass objects.
//
// It checks one object at a time: that at most one PriorityClass is the
// global default needs the stored set and belongs to admission, not here.
package scheduling
