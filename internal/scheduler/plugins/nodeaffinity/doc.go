// Package nodeaffinity is the NodeAffinity plugin: it filters nodes by the
// pod's spec.nodeSelector and required node affinity, and scores them by the
// summed weights of the preferred terms they match. It must not look at
// pod (anti-)affinity, which is InterPodAffinity's job.
package nodeaffinity
