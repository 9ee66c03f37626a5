package storage

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Transformer turns the encoded bytes of an object into the bytes kept in
// etcd and back: encryption at rest is one. key is the full etcd key (store
// prefix included), which a transformer may bind the ciphertext to and may
// use to choose how to transform (per resource).
//
// TransformFromStorage returns stale = true when value was not written the
// way TransformToStorage would write it now (an older key or provider), so
// that an update rewrites it even if the object did not change. Errors mean
// the value cannot be read (wrong key, tampered data); a transformer never
// returns garbage instead of an error. Neither method keeps or modifies the
// slices it is given.
type Transformer interface {
	TransformToStorage(ctx context.Context, plain []byte, key string) ([]byte, error)
	TransformFromStorage(ctx context.Context, value []byte, key string) (plain []byte, stale bool, err error)
}

// Option configures a Store.
type Option func(*Store)

// WithTransformer makes the store pass every value through t on its way to
// and from etcd. Without it values are stored as encoded.
func WithTransformer(t Transformer) Option {
	return func(s *Store) { s.transformer = t }
}

// seal transforms plain for writing at the full etcd key k.
func (s *Store) seal(ctx context.Context, k string, plain []byte) ([]byte, error) {
	if s.transformer == nil {
		return plain, nil
	}
	v, err := s.transformer.TransformToStorage(ctx, plain, k)
	if err != nil {
		return nil, fmt.Errorf("transform %s for storage: %w", k, err)
	}
	return v, nil
}

// unseal returns the encoded object kept at the full etcd key k.
func (s *Store) unseal(ctx context.Context, k string, value []byte) (plain []byte, stale bool, err error) {
	if s.transformer == nil {
		return value, false, nil
	}
	plain, stale, err = s.transformer.TransformFromStorage(ctx, value, k)
	if err != nil {
		return nil, false, fmt.Errorf("transform %s from storage: %w", k, err)
	}
	return plain, stale, nil
}

// decodeStored decodes the value read from etcd at the full key k.
func (s *Store) decodeStored(ctx context.Context, k string, value []byte, rev int64) (runtime.Object, error) {
	plain, _, err := s.unseal(ctx, k, value)
	if err != nil {
		return nil, err
	}
	return s.decode(plain, rev)
}
