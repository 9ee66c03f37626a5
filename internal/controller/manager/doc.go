// Package manager runs Capstan's controllers (the equivalent of
// kube-controller-manager) under leader election on the Lease
// kube-system/kube-controller-manager: only the leader runs controllers.
//
// Controllers are listed in one registry function (registry.go) and share
// one typed informer factory and one metadata informer factory per term of
// leadership. The manager must not hold controller logic itself, and must
// not register anything from init().
package manager
