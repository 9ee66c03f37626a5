package server

import (
	"net"
	"net/url"
	"os"
	"runtime"

	"github.com/capstan/capstan/internal/pki"
)

// servingSANs lists the names and addresses the serving certificate covers:
// the host, loopback, its addresses, and the kubernetes Service.
func servingSANs(serviceCIDR *net.IPNet, advertise net.IP, serverURL string) pki.ServerOptions {
	opts := pki.ServerOptions{
		DNSNames:  []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:       []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		ServerURL: serverURL,
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		opts.DNSNames = append(opts.DNSNames, h)
	}
	opts.IPs = append(opts.IPs, serviceIP(serviceCIDR, 1))
	opts.IPs = append(opts.IPs, hostIPs()...)
	if advertise != nil && !containsIP(opts.IPs, advertise) {
		opts.IPs = append(opts.IPs, advertise)
	}
	if u, err := url.Parse(serverURL); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil && !containsIP(opts.IPs, ip) {
			opts.IPs = append(opts.IPs, ip)
		}
	}
	return opts
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, x := range ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

// hostIPs returns the machine's global unicast addresses.
func hostIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.IsGlobalUnicast() {
			out = append(out, n.IP)
		}
	}
	return out
}

// advertiseAddress is the first IPv4 host address, else loopback.
func advertiseAddress() net.IP {
	for _, ip := range hostIPs() {
		if ip.To4() != nil {
			return ip
		}
	}
	return net.ParseIP("127.0.0.1")
}

// loopbackFor returns the address local clients should dial for a bind
// address.
func loopbackFor(bind string) string {
	ip := net.ParseIP(bind)
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return bind
}

func goVersion() string { return runtime.Version() }
func platform() string  { return runtime.GOOS + "/" + runtime.GOARCH }

// serviceIP is the n-th address of the service range: 1 is the kubernetes
// Service, 10 the cluster DNS, as upstream conventions have it.
func serviceIP(serviceCIDR *net.IPNet, n byte) net.IP {
	base := serviceCIDR.IP.To4()
	if base == nil {
		base = serviceCIDR.IP.To16()
	}
	ip := make(net.IP, len(base))
	copy(ip, base)
	ip[len(ip)-1] += n
	return ip
}
