// Package policy validates policy/v1 PodDisruptionBudget objects.
//
// It checks field values only; computing disruptions allowed and handling
// evictions belong to the disruption controller and the eviction subresource.
package policy
