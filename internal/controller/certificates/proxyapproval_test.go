package certificates

import (
	"net"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
)

// TestKubeProxyAutoApproval checks that only the exact shape of a joining
// node's service proxy request is approved without an operator.
func TestKubeProxyAutoApproval(t *testing.T) {
	ds, ke, ca := certv1.UsageDigitalSignature, certv1.UsageKeyEncipherment, certv1.UsageClientAuth
	exact := []certv1.KeyUsage{ds, ke, ca}
	boot := []string{"system:bootstrappers", "system:bootstrappers:capstan:node", "system:authenticated"}
	for _, tc := range []struct {
		name, signer, cn, user string
		orgs                   []string
		ips                    []net.IP
		usages                 []certv1.KeyUsage
		groups                 []string
		approve                bool
	}{
		{"bootstrapper asks for the proxy identity", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, nil, exact, boot, true},
		{"usages in another order", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, nil, []certv1.KeyUsage{ca, ds, ke}, boot, true},
		{"another CN", certv1.KubeAPIServerClientSignerName, "system:kube-scheduler", "system:bootstrap:abcdef", nil, nil, exact, boot, false},
		{"CN of an admin", certv1.KubeAPIServerClientSignerName, "admin", "system:bootstrap:abcdef", nil, nil, exact, boot, false},
		{"extra O", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", []string{"system:masters"}, nil, exact, boot, false},
		{"O system:nodes", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", []string{"system:nodes"}, nil, exact, boot, false},
		{"kubelet client signer", certv1.KubeAPIServerClientKubeletSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, nil, exact, boot, false},
		{"kubelet serving signer", certv1.KubeletServingSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, []net.IP{net.ParseIP("10.0.0.1")}, []certv1.KeyUsage{ds, ke, certv1.UsageServerAuth}, boot, false},
		{"without key encipherment", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, nil, []certv1.KeyUsage{ds, ca}, boot, false},
		{"with server auth too", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, nil, []certv1.KeyUsage{ds, ke, ca, certv1.UsageServerAuth}, boot, false},
		{"with a SAN", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:bootstrap:abcdef", nil, []net.IP{net.ParseIP("10.0.0.1")}, exact, boot, false},
		{"asked by a node", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:node:n1", nil, nil, exact, []string{"system:nodes", "system:authenticated"}, false},
		{"asked by the proxy itself", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "system:kube-proxy", nil, nil, exact, []string{"system:authenticated"}, false},
		{"asked by a user", certv1.KubeAPIServerClientSignerName, "system:kube-proxy", "jane", nil, nil, exact, []string{"dev", "system:authenticated"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csr := &certv1.CertificateSigningRequest{Spec: certv1.CertificateSigningRequestSpec{
				SignerName: tc.signer, Request: requestPEM(t, tc.cn, tc.orgs, tc.ips), Usages: tc.usages, Username: tc.user, Groups: tc.groups,
			}}
			req, err := parseRequest(csr)
			if err != nil {
				t.Fatal(err)
			}
			approved := false
			if spec, err := signingSpec(csr, req); err == nil {
				_, approved = autoApproval(csr, spec)
			}
			if approved != tc.approve {
				t.Errorf("approved %v, want %v", approved, tc.approve)
			}
		})
	}
}
