package encryption

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// key returns n deterministic key bytes, base64 encoded, seeded by b.
func key(n int, b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, n))
}

// chainOf parses a config with one resources entry for secrets whose
// providers are given as YAML list items.
func chainOf(t testing.TB, providers string) *Chain {
	t.Helper()
	doc := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n" + providers
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	return c.For(gr("", "secrets"))
}

func one(provider, name, secret string) string {
	return fmt.Sprintf("  - %s:\n      keys:\n      - name: %s\n        secret: %s\n", provider, name, secret)
}

const identityItem = "  - identity: {}\n"

func TestProvidersRoundTripAndFailures(t *testing.T) {
	ctx := context.Background()
	const k = "/registry/secrets/default/s1"
	plain := []byte("\x6b\x38\x73\x00 protobuf secret payload: hunter2")
	for _, tc := range []struct {
		provider string
		size     int
	}{
		{"aescbc", 32}, {"aescbc", 16}, {"aesgcm", 32}, {"aesgcm", 24}, {"secretbox", 32},
	} {
		t.Run(fmt.Sprintf("%s-%d", tc.provider, tc.size), func(t *testing.T) {
			c := chainOf(t, one(tc.provider, "key1", key(tc.size, 1)))
			sealed, err := c.TransformToStorage(ctx, plain, k)
			if err != nil {
				t.Fatal(err)
			}
			wantPrefix := "k8s:enc:" + tc.provider + ":v1:key1:"
			if !strings.HasPrefix(string(sealed), wantPrefix) {
				t.Fatalf("prefix: got %q, want %q", sealed[:min(len(sealed), 30)], wantPrefix)
			}
			if bytes.Contains(sealed, []byte("hunter2")) {
				t.Fatal("plaintext visible in sealed value")
			}
			again, _ := c.TransformToStorage(ctx, plain, k)
			if bytes.Equal(again, sealed) {
				t.Fatal("two seals of the same value are identical: IV/nonce not random")
			}
			got, stale, err := c.TransformFromStorage(ctx, sealed, k)
			if err != nil || stale || !bytes.Equal(got, plain) {
				t.Fatalf("round trip: got %q stale=%v err=%v", got, stale, err)
			}

			// Same key name, other key material: an error, never garbage.
			wrong := chainOf(t, one(tc.provider, "key1", key(tc.size, 2)))
			if got, _, err := wrong.TransformFromStorage(ctx, sealed, k); err == nil && bytes.Equal(got, plain) {
				t.Fatal("wrong key decrypted")
			} else if err == nil && tc.provider != "aescbc" {
				t.Fatalf("wrong key: no error, got %q", got)
			}

			// Tampering with the last byte of an authenticated value fails.
			tampered := bytes.Clone(sealed)
			tampered[len(tampered)-1] ^= 0x01
			if _, _, err := c.TransformFromStorage(ctx, tampered, k); tc.provider != "aescbc" && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("tampered: want ErrDecrypt, got %v", err)
			}
			// Truncation fails for every provider.
			if _, _, err := c.TransformFromStorage(ctx, sealed[:len(wantPrefix)+5], k); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("truncated: want ErrDecrypt, got %v", err)
			}
			// A prefix naming a key the chain does not have.
			other := chainOf(t, one(tc.provider, "key2", key(tc.size, 1)))
			if _, _, err := other.TransformFromStorage(ctx, sealed, k); !errors.Is(err, ErrNoProvider) {
				t.Fatalf("unknown key: want ErrNoProvider, got %v", err)
			}
		})
	}
}

func TestGCMBindsStorageKey(t *testing.T) {
	ctx := context.Background()
	c := chainOf(t, one("aesgcm", "k", key(32, 7)))
	sealed, err := c.TransformToStorage(ctx, []byte("data"), "/registry/secrets/a/b")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.TransformFromStorage(ctx, sealed, "/registry/secrets/a/other"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("value moved to another key: want ErrDecrypt, got %v", err)
	}
}

// TestCBCWrongKeyNeverSilent: AES-CBC is not authenticated, so a wrong key
// is caught by the padding check most of the time; when it is not, the
// output differs from the plaintext (the object decoder then fails).
func TestCBCWrongKeyNeverSilent(t *testing.T) {
	ctx := context.Background()
	good := chainOf(t, one("aescbc", "k", key(32, 1)))
	bad := chainOf(t, one("aescbc", "k", key(32, 2)))
	plain := []byte("some secret bytes")
	errs := 0
	for range 200 {
		sealed, _ := good.TransformToStorage(ctx, plain, "/k")
		got, _, err := bad.TransformFromStorage(ctx, sealed, "/k")
		if err != nil {
			errs++
			continue
		}
		if bytes.Equal(got, plain) {
			t.Fatal("wrong key returned the plaintext")
		}
	}
	if errs < 150 {
		t.Fatalf("padding check caught only %d of 200 wrong-key reads", errs)
	}
}

func TestRotationAndStale(t *testing.T) {
	ctx := context.Background()
	const k = "/registry/secrets/ns/s"
	plain := []byte("v")
	k1, k2 := one("aescbc", "key1", key(32, 1)), one("aescbc", "key2", key(32, 2))
	onlyK1 := chainOf(t, k1)
	both := chainOf(t, "  - aescbc:\n      keys:\n      - name: key2\n        secret: "+key(32, 2)+"\n      - name: key1\n        secret: "+key(32, 1)+"\n")
	onlyK2 := chainOf(t, k2)
	withIdentity := chainOf(t, k2+identityItem)
	identityFirst := chainOf(t, identityItem+k2)

	old, _ := onlyK1.TransformToStorage(ctx, plain, k)
	if _, stale, err := both.TransformFromStorage(ctx, old, k); err != nil || !stale {
		t.Fatalf("key1 value under [key2, key1]: stale=%v err=%v, want stale", stale, err)
	}
	rewritten, _ := both.TransformToStorage(ctx, plain, k)
	if !strings.HasPrefix(string(rewritten), "k8s:enc:aescbc:v1:key2:") {
		t.Fatalf("writes do not use the first key: %q", rewritten[:24])
	}
	if _, stale, err := onlyK2.TransformFromStorage(ctx, rewritten, k); err != nil || stale {
		t.Fatalf("after removing key1: stale=%v err=%v", stale, err)
	}
	if _, _, err := onlyK2.TransformFromStorage(ctx, old, k); !errors.Is(err, ErrNoProvider) {
		t.Fatalf("key1 value after removing key1: want ErrNoProvider, got %v", err)
	}
	// Plaintext written before encryption was enabled reads through a
	// trailing identity, and is stale.
	if got, stale, err := withIdentity.TransformFromStorage(ctx, plain, k); err != nil || !stale || string(got) != "v" {
		t.Fatalf("plaintext under [aescbc, identity]: %q stale=%v err=%v", got, stale, err)
	}
	// Decrypting away: identity first still reads encrypted values (stale).
	if got, stale, err := identityFirst.TransformFromStorage(ctx, rewritten, k); err != nil || !stale || string(got) != "v" {
		t.Fatalf("encrypted value under [identity, aescbc]: %q stale=%v err=%v", got, stale, err)
	}
	if out, _ := identityFirst.TransformToStorage(ctx, plain, k); string(out) != "v" {
		t.Fatalf("identity first must write plaintext, wrote %q", out)
	}
	// Plaintext without identity configured is an error.
	if _, _, err := onlyK2.TransformFromStorage(ctx, plain, k); !errors.Is(err, ErrNoProvider) {
		t.Fatalf("plaintext without identity: want ErrNoProvider, got %v", err)
	}
}
