package main

import (
	"github.com/spf13/pflag"

	"github.com/capstan/capstan/internal/server"
)

// serviceLBFlags binds the flags of the built-in load balancer.
func serviceLBFlags(f *pflag.FlagSet, o *server.ServiceLBOptions) {
	f.StringVar(&o.Pool, "service-lb-pool", "", "addresses for LoadBalancer Services, one per Service: ranges FIRST-LAST, CIDRs and addresses, comma separated (e.g. 192.168.50.10-192.168.50.20,10.0.0.0/28); empty uses the Ready nodes' addresses")
	f.BoolVar(&o.Disable, "disable-service-lb", false, "do not run the built-in load balancer (LoadBalancer Services stay pending unless another implementation serves them)")
}
