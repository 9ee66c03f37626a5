package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// Issuer is a running test provider.
type Issuer struct {
	// URL is the issuer URL (https://127.0.0.1:<port>), as tokens carry it
	// in "iss".
	URL string
	srv *httptest.Server
	key *rsa.PrivateKey
	kid string
	// down makes discovery answer 503, as an issuer that is unreachable.
	down atomic.Bool
	// discoveries counts discovery requests served (including 503s).
	discoveries atomic.Int64
}

// Start runs an issuer until the test ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate issuer key: %v", err)
	}
	is := &Issuer{key: key, kid: "test-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", is.serveDiscovery)
	mux.HandleFunc("GET /keys", is.serveKeys)
	is.srv = httptest.NewTLSServer(mux)
	is.URL = is.srv.URL
	t.Cleanup(is.srv.Close)
	return is
}

// SetDown makes discovery fail (503) while down is true.
func (is *Issuer) SetDown(down bool) { is.down.Store(down) }

// Discoveries is how many discovery requests the issuer has answered.
func (is *Issuer) Discoveries() int64 { return is.discoveries.Load() }

// WriteCA writes the issuer's serving certificate (self-signed) as a PEM
// file in dir and returns its path, for --oidc-ca-file.
func (is *Issuer) WriteCA(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "oidc-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatalf("write issuer CA: %v", err)
	}
	return p
}

// Token signs claims as a compact RS256 JWT with the issuer's key.
func (is *Issuer) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return signWith(t, is.key, is.kid, claims)
}

// ForeignToken signs claims with a key the issuer does not publish.
func (is *Issuer) ForeignToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return signWith(t, key, is.kid, claims)
}

func signWith(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatalf("marshal claims: %v", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return s
}

func (is *Issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	is.discoveries.Add(1)
	if is.down.Load() {
		http.Error(w, "issuer down", http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, map[string]any{
		"issuer":                                is.URL,
		"jwks_uri":                              is.URL + "/keys",
		"authorization_endpoint":                is.URL + "/auth",
		"token_endpoint":                        is.URL + "/token",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (is *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &is.key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig"}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, fmt.Sprint(err), http.StatusInternalServerError)
	}
}
