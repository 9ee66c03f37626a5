package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"slices"
	"testing"

	"github.com/capstan/capstan/internal/apiserver/serviceaccount"
)

// The signing key survives a restart (same key set), and the issuer flag
// names the issuer and the API audience.
func TestServiceAccountTokensReuseKey(t *testing.T) {
	dir := t.TempDir()
	ip := net.ParseIP("192.0.2.7")
	first, _, err := serviceAccountTokens(Config{HTTPSPort: 6443}, dir, nil, ip, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := serviceAccountTokens(Config{HTTPSPort: 6443}, dir, nil, ip, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.JWKS(), again.JWKS()) {
		t.Error("restart changed the signing key")
	}
	if first.Name() != serviceaccount.DefaultIssuer {
		t.Errorf("default issuer %q", first.Name())
	}
	custom, _, err := serviceAccountTokens(Config{HTTPSPort: 6443, ServiceAccountIssuer: "https://issuer.example"}, dir, nil, ip, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(custom.OpenIDConfiguration(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Issuer != "https://issuer.example" || doc.JWKSURI != "https://192.0.2.7:6443/openid/v1/jwks" ||
		!slices.Equal(custom.APIAudiences(), []string{"https://issuer.example"}) {
		t.Errorf("discovery %+v audiences %v", doc, custom.APIAudiences())
	}
}

func TestIssuerDiscoveryRoleBindsServiceAccounts(t *testing.T) {
	role, binding := issuerDiscoveryRole()
	if len(role.Rules) != 1 || !slices.Equal(role.Rules[0].Verbs, []string{"get"}) ||
		!slices.Contains(role.Rules[0].NonResourceURLs, "/openid/v1/jwks") || !slices.Contains(role.Rules[0].NonResourceURLs, "/.well-known/openid-configuration") {
		t.Errorf("role %+v", role.Rules)
	}
	if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "Group" || binding.Subjects[0].Name != "system:serviceaccounts" {
		t.Errorf("binding %+v", binding)
	}
}
