// Package manager runs Capstan's controllers (the equivalent of
// kube-controller-manager) under leader election on the Lease
// kube-system/kube-controller-manager: only the leader runs controllers.
//
// Controllers are listed in one registry function (registry.go) and share
// one typed informer factory and one metadata informer factory per term of
// leadership. The manager must not hold controller logic itself, and must
// not register anything from init().
//
// With Config.ClientConfigFor set, each controller's builder takes its own
// client through controllerContext.as("<service account>"), so the
// controller acts as system:serviceaccount:kube-system:<service account>
// and may do only what ClusterRole system:controller:<service account>
// grants; the shared informers, discovery, events and the leader-election
// Lease use the manager's own identity (system:kube-controller-manager).
// A new builder must call cc.as with a service account that has a role in
// the default policy (TestEveryControllerHasARole checks).
package manager
