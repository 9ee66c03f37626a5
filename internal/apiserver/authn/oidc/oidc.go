package oidc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver"
)

// Options configure an Authenticator; the fields are kube-apiserver's
// --oidc-* flags.
type Options struct {
	// IssuerURL is the https URL of the provider; only tokens whose "iss"
	// claim equals it are checked.
	IssuerURL string
	// ClientID must be one of the token's audiences.
	ClientID string
	// UsernameClaim names the claim holding the username (default "sub").
	UsernameClaim string
	// UsernamePrefix is prepended to usernames. Empty means upstream's
	// default: IssuerURL+"#" unless UsernameClaim is "email"; "-" disables
	// prefixing.
	UsernamePrefix string
	// GroupsClaim names a string or string-array claim holding groups;
	// empty takes no groups from the token.
	GroupsClaim string
	// GroupsPrefix is prepended to every group.
	GroupsPrefix string
	// CAFile is a PEM bundle that signs the issuer's serving certificate;
	// empty uses the host's roots.
	CAFile string
	// RequiredClaims must all be present in the token with exactly these
	// string values.
	RequiredClaims map[string]string
	// SigningAlgs are the accepted JOSE algorithms (default RS256).
	SigningAlgs []string
	// RetryInterval is the least time between two discovery attempts
	// while the issuer cannot be reached (default 10s).
	RetryInterval time.Duration
	Log           *slog.Logger
	Clock         clock.PassiveClock
}

// Authenticator checks OIDC ID tokens of one issuer.
type Authenticator struct {
	opts   Options
	prefix string
	client *http.Client

	mu       sync.Mutex
	verifier *gooidc.IDTokenVerifier
	lastTry  time.Time
	lastErr  error
}

var _ apiserver.TokenAuthenticator = (*Authenticator)(nil)

// New validates opts and reads the CA file; it does not contact the
// issuer.
func New(opts Options) (*Authenticator, error) {
	u, err := url.Parse(opts.IssuerURL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("oidc issuer URL %q: %w", opts.IssuerURL, err)
	case u.Scheme != "https" || u.Host == "":
		return nil, fmt.Errorf("oidc issuer URL %q: must be an https URL", opts.IssuerURL)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return nil, fmt.Errorf("oidc issuer URL %q: must not have a query, fragment or user info", opts.IssuerURL)
	case opts.ClientID == "":
		return nil, errors.New("oidc client ID is required with an issuer URL")
	}
	if opts.UsernameClaim == "" {
		opts.UsernameClaim = "sub"
	}
	if len(opts.SigningAlgs) == 0 {
		opts.SigningAlgs = []string{gooidc.RS256}
	}
	for _, alg := range opts.SigningAlgs {
		if !supportedAlg(alg) {
			return nil, fmt.Errorf("oidc signing algorithm %q: not supported (RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512)", alg)
		}
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = 10 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	client, err := httpClient(opts.CAFile)
	if err != nil {
		return nil, err
	}
	return &Authenticator{opts: opts, prefix: usernamePrefix(opts), client: client}, nil
}

// supportedAlg reports the asymmetric JOSE algorithms upstream accepts for
// --oidc-signing-algs.
func supportedAlg(alg string) bool {
	switch alg {
	case gooidc.RS256, gooidc.RS384, gooidc.RS512, gooidc.ES256, gooidc.ES384, gooidc.ES512, gooidc.PS256, gooidc.PS384, gooidc.PS512:
		return true
	}
	return false
}

// usernamePrefix applies upstream's defaulting of --oidc-username-prefix.
func usernamePrefix(o Options) string {
	switch {
	case o.UsernamePrefix == "-":
		return ""
	case o.UsernamePrefix != "":
		return o.UsernamePrefix
	case o.UsernameClaim == "email":
		return ""
	default:
		return o.IssuerURL + "#"
	}
}

func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("oidc CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("oidc CA file %s: no PEM certificates", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// AuthenticateToken returns ok=false without an error for tokens that are
// not JWTs of this issuer. For this issuer's tokens, any failure (issuer
// unreachable, bad signature, expired, wrong audience, claims missing) is
// an error and ok=false.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (apiserver.User, bool, error) {
	if iss, ok := unverifiedIssuer(token); !ok || iss != a.opts.IssuerURL {
		return apiserver.User{}, false, nil
	}
	v, err := a.verifierFor(ctx)
	if err != nil {
		return apiserver.User{}, false, err
	}
	idt, err := v.Verify(ctx, token)
	if err != nil {
		return apiserver.User{}, false, fmt.Errorf("oidc: verify token: %w", err)
	}
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return apiserver.User{}, false, fmt.Errorf("oidc: decode claims: %w", err)
	}
	u, err := userFromClaims(a.opts, a.prefix, claims)
	if err != nil {
		return apiserver.User{}, false, err
	}
	return u, true, nil
}

// verifierFor returns the verifier, running discovery first if it has not
// succeeded yet (at most once per RetryInterval).
func (a *Authenticator) verifierFor(ctx context.Context) (*gooidc.IDTokenVerifier, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.verifier != nil {
		return a.verifier, nil
	}
	now := a.opts.Clock.Now()
	if a.lastErr != nil && now.Sub(a.lastTry) < a.opts.RetryInterval {
		return nil, fmt.Errorf("oidc: authenticator not initialized: %w", a.lastErr)
	}
	a.lastTry = now
	dctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, a.client), 10*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(dctx, a.opts.IssuerURL)
	if err != nil {
		a.lastErr = err
		a.opts.Log.Warn("oidc discovery failed; retrying on a later token", "issuer", a.opts.IssuerURL, "err", err)
		return nil, fmt.Errorf("oidc: discover %s: %w", a.opts.IssuerURL, err)
	}
	a.verifier = p.Verifier(&gooidc.Config{ClientID: a.opts.ClientID, SupportedSigningAlgs: a.opts.SigningAlgs, Now: a.opts.Clock.Now})
	a.lastErr = nil
	a.opts.Log.Info("oidc provider discovered", "issuer", a.opts.IssuerURL)
	return a.verifier, nil
}

// unverifiedIssuer reads the "iss" claim of a compact JWS without checking
// anything, to tell whether the token is meant for this authenticator.
func unverifiedIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", false
	}
	return c.Issuer, c.Issuer != ""
}
