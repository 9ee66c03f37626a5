package encryption

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/crypto/nacl/secretbox"
)

// encPrefix starts every encrypted value; identity refuses to read such data.
const encPrefix = "k8s:enc:"

// ErrNoProvider: no configured provider can read a value (its prefix names
// a provider or key that is not configured).
var ErrNoProvider = errors.New("no matching prefix found")

// ErrDecrypt: a value names a configured key but does not decrypt with it
// (wrong key material, truncated or tampered data).
var ErrDecrypt = errors.New("decrypt failed")

// valueTransformer is one provider with one key: seal appends the sealed
// plaintext to dst (which holds the prefix), open opens what seal appended.
// ad is the storage key the value belongs to; providers that authenticate
// it bind the ciphertext to it.
type valueTransformer interface {
	seal(dst, plain, ad []byte) ([]byte, error)
	open(sealed, ad []byte) ([]byte, error)
}

var (
	_ valueTransformer = cbc{}
	_ valueTransformer = gcm{}
	_ valueTransformer = box{}
	_ valueTransformer = identity{}
)

// cbc is aescbc: AES-CBC with PKCS#7 padding, random IV before the
// ciphertext. Not authenticated: tampering is caught by the padding check
// only sometimes, and otherwise by the decoder downstream.
type cbc struct{ block cipher.Block }

func (c cbc) seal(dst, plain, _ []byte) ([]byte, error) {
	bs := c.block.BlockSize()
	pad := bs - len(plain)%bs
	n := len(dst)
	out := slices.Grow(dst, bs+len(plain)+pad)[:n+bs+len(plain)+pad]
	iv := out[n : n+bs]
	if _, err := io.ReadFull(rand.Reader, iv); err != nil {
		return nil, fmt.Errorf("aescbc iv: %w", err)
	}
	body := out[n+bs:]
	copy(body, plain)
	for i := len(plain); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, iv).CryptBlocks(body, body)
	return out, nil
}

func (c cbc) open(sealed, _ []byte) ([]byte, error) {
	bs := c.block.BlockSize()
	if len(sealed) < 2*bs || len(sealed)%bs != 0 {
		return nil, fmt.Errorf("%w: aescbc data of %d bytes is not whole blocks", ErrDecrypt, len(sealed))
	}
	out := make([]byte, len(sealed)-bs)
	cipher.NewCBCDecrypter(c.block, sealed[:bs]).CryptBlocks(out, sealed[bs:])
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs {
		return nil, fmt.Errorf("%w: aescbc invalid padding", ErrDecrypt)
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: aescbc invalid padding", ErrDecrypt)
		}
	}
	return out[:len(out)-pad], nil
}

// gcm is aesgcm: AES-GCM with a random 12-byte nonce before the ciphertext,
// authenticating the storage key as upstream does.
type gcm struct{ aead cipher.AEAD }

func (g gcm) seal(dst, plain, ad []byte) ([]byte, error) {
	ns, n := g.aead.NonceSize(), len(dst)
	out := slices.Grow(dst, ns+len(plain)+g.aead.Overhead())[:n+ns]
	if _, err := io.ReadFull(rand.Reader, out[n:]); err != nil {
		return nil, fmt.Errorf("aesgcm nonce: %w", err)
	}
	return g.aead.Seal(out, out[n:], plain, ad), nil
}

func (g gcm) open(sealed, ad []byte) ([]byte, error) {
	ns := g.aead.NonceSize()
	if len(sealed) < ns+g.aead.Overhead() {
		return nil, fmt.Errorf("%w: aesgcm data too short", ErrDecrypt)
	}
	out, err := g.aead.Open(nil, sealed[:ns], sealed[ns:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: aesgcm: %w", ErrDecrypt, err)
	}
	return out, nil
}

// box is secretbox: XSalsa20-Poly1305 with a random 24-byte nonce before
// the sealed box.
type box struct{ key [32]byte }

func (b box) seal(dst, plain, _ []byte) ([]byte, error) {
	var nonce [24]byte
	if _, err := io.ReadFull(rand.Reader, nonce[:]); err != nil {
		return nil, fmt.Errorf("secretbox nonce: %w", err)
	}
	return secretbox.Seal(append(dst, nonce[:]...), plain, &nonce, &b.key), nil
}

func (b box) open(sealed, _ []byte) ([]byte, error) {
	if len(sealed) < 24+secretbox.Overhead {
		return nil, fmt.Errorf("%w: secretbox data too short", ErrDecrypt)
	}
	var nonce [24]byte
	copy(nonce[:], sealed[:24])
	out, ok := secretbox.Open(nil, sealed[24:], &nonce, &b.key)
	if !ok {
		return nil, fmt.Errorf("%w: secretbox authentication failed", ErrDecrypt)
	}
	return out, nil
}

// identity stores plaintext and refuses to read encrypted data.
type identity struct{}

func (identity) seal(dst, plain, _ []byte) ([]byte, error) { return append(dst, plain...), nil }

func (identity) open(sealed, _ []byte) ([]byte, error) {
	if bytes.HasPrefix(sealed, []byte(encPrefix)) {
		return nil, fmt.Errorf("identity transformer tried to read encrypted data")
	}
	return sealed, nil
}

// newAESCBC, newAESGCM and newSecretbox build a provider over one key whose
// length the config validated.
func newAESCBC(key []byte) (valueTransformer, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aescbc: %w", err)
	}
	return cbc{block: b}, nil
}

func newAESGCM(key []byte) (valueTransformer, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aesgcm: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("aesgcm: %w", err)
	}
	return gcm{aead: a}, nil
}

func newSecretbox(key []byte) (valueTransformer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secretbox: key is %d bytes, need 32", len(key))
	}
	var b box
	copy(b.key[:], key)
	return b, nil
}

// prefixed is one provider/key pair of a chain with the prefix it writes.
type prefixed struct {
	prefix []byte
	t      valueTransformer
}

// Chain is the providers of one resource in configured order: writes use
// the first, reads the one whose prefix the value carries (identity, with
// no prefix, reads what no other prefix matches).
type Chain struct {
	items []prefixed
}

// TransformToStorage seals plain with the first provider, bound to key.
func (c *Chain) TransformToStorage(_ context.Context, plain []byte, key string) ([]byte, error) {
	first := c.items[0]
	// Room for the prefix, the plaintext, padding, nonce and tag at once.
	dst := append(make([]byte, 0, len(first.prefix)+len(plain)+64), first.prefix...)
	return first.t.seal(dst, plain, []byte(key))
}

// TransformFromStorage opens value with the provider its prefix names;
// stale is true unless that is the first provider.
func (c *Chain) TransformFromStorage(_ context.Context, value []byte, key string) ([]byte, bool, error) {
	for i, it := range c.items {
		if !bytes.HasPrefix(value, it.prefix) {
			continue
		}
		plain, err := it.t.open(value[len(it.prefix):], []byte(key))
		if err != nil && len(it.prefix) == 0 {
			// identity before an encrypting provider (migrating away
			// from encryption): encrypted values belong to a later one.
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return plain, i != 0, nil
	}
	return nil, false, fmt.Errorf("%w: %q", ErrNoProvider, prefixOf(value))
}

// prefixOf returns the provider/key prefix of an encrypted value, for
// error messages ("" for anything else).
func prefixOf(value []byte) string {
	if !bytes.HasPrefix(value, []byte(encPrefix)) {
		return ""
	}
	rest := value[len(encPrefix):]
	n := 0
	for i, b := range rest {
		if b == ':' {
			n++
			if n == 3 {
				return encPrefix + string(rest[:i+1])
			}
		}
		if i > 64 {
			break
		}
	}
	return encPrefix
}
