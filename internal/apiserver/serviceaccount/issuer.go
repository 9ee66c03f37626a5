package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/capstan/capstan/internal/apiserver"
)

// Issuer signs ServiceAccount tokens with one key and serves the OIDC
// discovery documents for it. It is immutable and safe for concurrent use.
type Issuer struct {
	issuer    string
	audiences []string
	alg       jose.SignatureAlgorithm
	kid       string
	public    crypto.PublicKey
	signer    jose.Signer
	discovery []byte
	jwks      []byte
}

var _ apiserver.TokenIssuer = (*Issuer)(nil)

// NewIssuer returns an issuer named issuer (the iss claim) signing with key
// (ECDSA P-256 → ES256, RSA → RS256). audiences are the API audiences
// (nil: just the issuer); jwksURI is where discovery says the key set is.
func NewIssuer(issuer string, key crypto.Signer, audiences []string, jwksURI string) (*Issuer, error) {
	if issuer == "" {
		return nil, fmt.Errorf("service account issuer: empty name")
	}
	alg, err := algorithm(key)
	if err != nil {
		return nil, err
	}
	kid, err := keyID(key.Public())
	if err != nil {
		return nil, err
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("service account token signer: %w", err)
	}
	if len(audiences) == 0 {
		audiences = []string{issuer}
	}
	i := &Issuer{issuer: issuer, audiences: slices.Clone(audiences), alg: alg, kid: kid, public: key.Public(), signer: signer}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: kid, Algorithm: string(alg), Use: "sig"}}}
	if i.jwks, err = json.Marshal(set); err != nil {
		return nil, fmt.Errorf("marshal key set: %w", err)
	}
	doc := openIDMetadata{Issuer: issuer, JWKSURI: jwksURI, ResponseTypes: []string{"id_token"},
		SubjectTypes: []string{"public"}, SigningAlgs: []string{string(alg)}}
	if i.discovery, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("marshal discovery document: %w", err)
	}
	return i, nil
}

// openIDMetadata is the discovery document, with the fields upstream serves.
type openIDMetadata struct {
	Issuer        string   `json:"issuer"`
	JWKSURI       string   `json:"jwks_uri"`
	ResponseTypes []string `json:"response_types_supported"`
	SubjectTypes  []string `json:"subject_types_supported"`
	SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
}

func algorithm(key crypto.Signer) (jose.SignatureAlgorithm, error) {
	switch k := key.Public().(type) {
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize == 256 {
			return jose.ES256, nil
		}
		return "", fmt.Errorf("service account key: ECDSA curve %s unsupported, use P-256", k.Curve.Params().Name)
	case *rsa.PublicKey:
		return jose.RS256, nil
	}
	return "", fmt.Errorf("service account key: %T unsupported", key.Public())
}

// keyID is the key's "kid", as upstream derives it: the unpadded base64url
// SHA-256 of the public key's PKIX DER.
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("service account key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Name is the issuer (the iss claim).
func (i *Issuer) Name() string { return i.issuer }

// APIAudiences implements apiserver.TokenIssuer.
func (i *Issuer) APIAudiences() []string { return i.audiences }

// OpenIDConfiguration implements apiserver.TokenIssuer.
func (i *Issuer) OpenIDConfiguration() []byte { return i.discovery }

// JWKS implements apiserver.TokenIssuer.
func (i *Issuer) JWKS() []byte { return i.jwks }

// IssueToken implements apiserver.TokenIssuer: a JWT with upstream's
// claims; nbf is the issue time and jti a new UUID.
func (i *Issuer) IssueToken(t apiserver.ServiceAccountToken) (string, error) {
	pub := issuedClaims{
		Issuer: i.issuer, Subject: Subject(t.Namespace, t.Name), Audience: t.Audiences,
		Expiry: jwt.NewNumericDate(t.Expires), NotBefore: jwt.NewNumericDate(t.IssuedAt), IssuedAt: jwt.NewNumericDate(t.IssuedAt),
		ID: string(uuid.NewUUID()),
	}
	k := kubernetesClaim{Namespace: t.Namespace, ServiceAccount: ref{Name: t.Name, UID: t.UID},
		Pod: refOf(t.Pod), Secret: refOf(t.Secret), Node: refOf(t.Node)}
	if !t.WarnAfter.IsZero() {
		k.WarnAfter = jwt.NewNumericDate(t.WarnAfter)
	}
	tok, err := jwt.Signed(i.signer).Claims(pub).Claims(privateClaims{Kubernetes: k}).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign service account token: %w", err)
	}
	return tok, nil
}

func refOf(b *apiserver.BoundObject) *ref {
	if b == nil {
		return nil
	}
	return &ref{Name: b.Name, UID: b.UID}
}
