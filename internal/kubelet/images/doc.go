// Package images provides the node's built-in images and image archives:
// the pause (sandbox) image compiled into the binary, a writer for small
// deterministic docker-archive tars, a reader that recognises docker-archive
// and OCI-layout tars, and the import of such a tar into containerd's k8s.io
// namespace (by running ctr, which ships with containerd).
//
// It must not pull from registries, garbage-collect images or decide which
// images a pod needs: that is the kubelet's business through CRI.
package images
