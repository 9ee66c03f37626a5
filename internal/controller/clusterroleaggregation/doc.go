// Package clusterroleaggregation is upstream's clusterrole-aggregation
// controller: it sets the rules of every ClusterRole with an
// aggregationRule to the union of the rules of the ClusterRoles its
// selectors match (as admin, edit and view gather the aggregate-to-*
// roles). It must not touch ClusterRoles without an aggregationRule.
package clusterroleaggregation
