// Package imagegc is the kubelet's image garbage collector: it remembers
// when each image was first seen and last used by a container, and when
// the image file system is fuller than the high threshold
// (--image-gc-high-threshold, 85%) deletes unused images, least recently
// used first, until usage is back under the low threshold
// (--image-gc-low-threshold, 80%). Images younger than the minimum age
// (--image-minimum-gc-age, 2m), pinned images (the pause image) and images
// any container uses, whatever its state, are kept. It also deletes every
// unused image on demand, for the eviction manager's node-level reclaim.
//
// Which images to delete is the pure function Plan; Manager is the thin
// loop around it (every 5 minutes, as upstream). The package talks to the
// runtime only through CRI image and container listing and RemoveImage; it
// must not remove containers or talk to the API server (events go through
// an injected function).
package imagegc
