// Package storage is the object store of the API server: typed Kubernetes
// objects kept one per etcd key, protobuf-encoded, with resourceVersion equal
// to the etcd revision. It offers create, get, list (paginated, at a
// revision), guaranteed update, delete and watch. A Transformer (encryption
// at rest, package encryption) may sit between the codec and etcd; every
// read path (get, list, watch, the watch cache) decodes through it.
//
// It knows keys and objects, not REST: no defaulting, validation, admission
// or HTTP. Errors are the sentinels in errors.go; the API server maps them to
// Status codes. Only the API server imports this package.
package storage
