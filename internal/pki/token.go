package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// BootstrapToken is an upstream bootstrap token "<id>.<secret>": id is six
// and secret sixteen characters of [a-z0-9]. The id is public (it names the
// kube-system/bootstrap-token-<id> Secret); the secret is not.
type BootstrapToken struct {
	ID, Secret string
}

func (t BootstrapToken) String() string { return t.ID + "." + t.Secret }

// Matches compares secrets in constant time.
func (t BootstrapToken) Matches(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(t.Secret), []byte(secret)) == 1
}

// bootstrapTokenPattern is compiled once: every bearer token is tried as a
// bootstrap token first.
var bootstrapTokenPattern = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// NewBootstrapToken returns a random token.
func NewBootstrapToken() (BootstrapToken, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	buf := make([]byte, 22)
	if _, err := rand.Read(buf); err != nil {
		return BootstrapToken{}, fmt.Errorf("generate token: %w", err)
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return BootstrapToken{ID: string(buf[:6]), Secret: string(buf[6:])}, nil
}

// ParseBootstrapToken parses "<id>.<secret>".
func ParseBootstrapToken(s string) (BootstrapToken, error) {
	m := bootstrapTokenPattern.FindStringSubmatch(s)
	if m == nil {
		return BootstrapToken{}, fmt.Errorf("malformed bootstrap token: want <6 chars [a-z0-9]>.<16 chars [a-z0-9]>")
	}
	return BootstrapToken{ID: m[1], Secret: m[2]}, nil
}

// JoinToken is what `capstan token create` prints and `capstan agent
// --token` takes: the bootstrap token plus the hash of the cluster CA, so an
// agent can trust the server before it has the CA ("K10<sha256 hex>::<id>.<secret>").
type JoinToken struct {
	CAHash    string // hex SHA-256 of the CA certificate (DER)
	Bootstrap BootstrapToken
}

func (j JoinToken) String() string { return "K10" + j.CAHash + "::" + j.Bootstrap.String() }

// ParseJoinToken parses a join token.
func ParseJoinToken(s string) (JoinToken, error) {
	hash, tok, ok := strings.Cut(strings.TrimSpace(s), "::")
	if !ok || !strings.HasPrefix(hash, "K10") || len(hash) != 3+64 {
		return JoinToken{}, fmt.Errorf("malformed join token: want K10<64 hex digits>::<id>.<secret>, as printed by `capstan token create`")
	}
	if _, err := hex.DecodeString(hash[3:]); err != nil {
		return JoinToken{}, fmt.Errorf("malformed join token: CA hash is not hex")
	}
	bt, err := ParseBootstrapToken(tok)
	if err != nil {
		return JoinToken{}, err
	}
	return JoinToken{CAHash: hash[3:], Bootstrap: bt}, nil
}

// CAHash returns the hex SHA-256 of a certificate's DER bytes.
func CAHash(ca *x509.Certificate) string {
	sum := sha256.Sum256(ca.Raw)
	return hex.EncodeToString(sum[:])
}
