// Package scheduler is Capstan's kube-scheduler: it watches pods and nodes
// through client-go informers, queues pending pods whose spec.schedulerName
// names one of its profiles (one queue and cache; one framework and event
// recorder per profile), decides a node for each over a snapshot of the
// node cache, and binds through the pods/binding subresource.
//
// This package is the concurrent shell only (informers, queue loop,
// asynchronous binding, status and events, leader election). Decisions live
// in framework and the plugins; bookkeeping in cache and queue. It must not
// read etcd or import the API server's storage: it is a client of the API
// and nothing else.
package scheduler
