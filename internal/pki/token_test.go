package pki

import (
	"strings"
	"testing"
	"time"
)

func TestJoinTokenRoundTrip(t *testing.T) {
	ca, err := NewCA("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bt, err := NewBootstrapToken()
	if err != nil {
		t.Fatal(err)
	}
	j := JoinToken{CAHash: CAHash(ca.Cert), Bootstrap: bt}
	got, err := ParseJoinToken(j.String() + "\n")
	if err != nil || got != j {
		t.Fatalf("round trip: %+v %v, want %+v", got, err, j)
	}
	if !got.Bootstrap.Matches(bt.Secret) || got.Bootstrap.Matches(bt.Secret[:15]+"x") {
		t.Error("Matches compares secrets wrongly")
	}
}

func TestParseTokensRejects(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct{ in, want string }{
		{"abcdef.0123456789abcdef", "malformed join token"},
		{"K10" + hash[:10] + "::abcdef.0123456789abcdef", "malformed join token"},
		{"K10" + strings.Repeat("zz", 32) + "::abcdef.0123456789abcdef", "CA hash is not hex"},
		{"K10" + hash + "::ABCDEF.0123456789abcdef", "malformed bootstrap token"},
		{"K10" + hash + "::abcdef.0123", "malformed bootstrap token"},
	} {
		if _, err := ParseJoinToken(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseJoinToken(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}
