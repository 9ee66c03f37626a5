// Package pki creates and reuses the cluster's certificate authority, the API
// server's serving certificate, client certificates and kubeconfig files.
//
// Everything lives as PEM files in one directory; a second start loads what the
// first wrote. It does no network I/O and holds no state beyond those files.
package pki
