// Package encryption is encryption at rest for the object store: the
// value transformers of kube-apiserver's --encryption-provider-config
// (aescbc, aesgcm, secretbox, identity) and the parsing and validation of
// its apiserver.config.k8s.io/v1 EncryptionConfiguration file.
//
// Stored values carry upstream's prefix "k8s:enc:<provider>:v1:<key name>:"
// so data written by kube-apiserver reads here and the other way round, and
// key rotation works as upstream: writes use the first provider of a
// resource, reads use the provider and key the prefix names.
//
// It must not know about etcd, HTTP or API objects: it transforms bytes
// under storage keys. It never logs or returns key material, and a value it
// cannot authenticate or decrypt is an error, never garbage.
package encryption
