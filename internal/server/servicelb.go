package server

import (
	"fmt"

	"github.com/capstan/capstan/internal/controller/servicelb"
)

// ServiceLBOptions configure the built-in load balancer for Services of
// type LoadBalancer (internal/controller/servicelb).
type ServiceLBOptions struct {
	// Pool lists where load-balancer addresses come from, as
	// --service-lb-pool takes it: ranges "FIRST-LAST", CIDRs and single
	// addresses, comma separated. Empty hands out the addresses of the
	// Ready nodes instead.
	Pool string
	// Disable runs no built-in load balancer (k3s: --disable servicelb):
	// LoadBalancer Services stay pending unless another implementation
	// serves them.
	Disable bool
}

// pool parses Pool; nil when it is empty. Errors name the flag.
func (o ServiceLBOptions) pool() ([]servicelb.AddrRange, error) {
	if o.Pool == "" {
		return nil, nil
	}
	if o.Disable {
		return nil, fmt.Errorf("--service-lb-pool %q: the built-in load balancer is off (--disable-service-lb)", o.Pool)
	}
	ranges, err := servicelb.ParsePool(o.Pool)
	if err != nil {
		return nil, fmt.Errorf("--service-lb-pool: %w", err)
	}
	return ranges, nil
}
