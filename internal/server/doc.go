// Package server composes the control-plane role of `capstan server`: etcd
// (embedded or external), the PKI and admin kubeconfig, and the API server
// listening on HTTPS. It wires components; their logic lives in their own
// packages.
package server
