// Package noderesources holds the NodeResourcesFit plugin (filter: the pod's
// requests must fit the node's allocatable minus what its pods request;
// score: LeastAllocated or MostAllocated) and the
// NodeResourcesBalancedAllocation score (prefer nodes whose cpu and memory
// use stay even). They read requests only, never actual usage, and must
// not change the NodeInfos they are given.
package noderesources
