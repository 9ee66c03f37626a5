// Package volume prepares the volumes of a pod on the node for the kubelet:
// emptyDir (disk, or tmpfs for medium Memory), hostPath with upstream type
// checks, configMap, secret, downwardAPI and projected volumes written with
// the upstream atomic writer layout (key -> ..data/key, ..data -> a
// timestamped directory swapped atomically), and persistentVolumeClaims bound
// to hostPath or local PersistentVolumes.
//
// Layout under the kubelet root directory follows upstream:
// <root>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>. Secret and
// projected volumes always live on tmpfs and never touch the disk.
//
// What gets written is decided by pure functions (payload.go) over API
// objects; the Manager is the shell that reads the API, mounts, writes and
// refreshes. It must not start containers, must not read storage or etcd,
// must not mutate objects it is given, and must never remove a directory
// that still has something mounted beneath it.
package volume
