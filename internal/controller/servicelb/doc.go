// Package servicelb is Capstan's built-in load balancer for Services of
// type LoadBalancer that name no spec.loadBalancerClass, or name
// LoadBalancerClass ("capstan.io/servicelb"). It runs no pods:
// it only publishes status.loadBalancer.ingress (ipMode VIP) and relies on
// the service proxy on every node, which already forwards traffic for
// load-balancer ingress IPs like for the ClusterIP.
//
// Addresses come either from the Ready nodes (ExternalIP, else InternalIP)
// or, when a pool is configured (ParsePool reads `capstan server
// --service-lb-pool`: ranges, CIDRs, addresses), one stable address per
// Service out of the pool. In pool mode a Service may ask for its address
// (annotation capstan.io/loadBalancerIPs or metallb.io/loadBalancerIPs,
// else the deprecated spec.loadBalancerIP); an address outside the pool or
// held by another Service is refused with a SyncLoadBalancerFailed event,
// never swapped for another one. The decisions are pure functions
// (ingress.go, pool.go); the controller only moves them through the API.
//
// It must not program nftables, routes or ARP itself (the operator routes
// the pool to the nodes), and it must not touch Services that name another
// loadBalancerClass: another controller owns those.
package servicelb
