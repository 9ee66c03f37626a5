// Package servicelb is Capstan's built-in load balancer for Services of
// type LoadBalancer that name no spec.loadBalancerClass. It runs no pods:
// it only publishes status.loadBalancer.ingress (ipMode VIP) and relies on
// the service proxy on every node, which already forwards traffic for
// load-balancer ingress IPs like for the ClusterIP.
//
// Addresses come either from the Ready nodes (ExternalIP, else InternalIP)
// or, when a pool is configured, one stable address per Service out of the
// pool. The decisions are pure functions (ingress.go, pool.go); the
// controller only moves them through the API.
//
// It must not program nftables, routes or ARP itself, and it must not touch
// Services that name a loadBalancerClass: another controller owns those.
package servicelb
