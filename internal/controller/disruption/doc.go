// Package disruption is the disruption controller: it keeps the status of
// every PodDisruptionBudget (expectedPods, currentHealthy, desiredHealthy,
// disruptionsAllowed, disruptedPods, observedGeneration and the
// DisruptionAllowed condition) in line with the pods it selects and the
// scale of their controllers, so the API server's eviction subresource can
// decide from it. It also clears DisruptionTarget pod conditions that went
// stale because the deletion they announced never happened.
//
// The status is computed by pure functions (status.go). It must not evict
// or delete pods, must not write PDB spec, and must not read storage
// directly: everything goes through the API.
package disruption
