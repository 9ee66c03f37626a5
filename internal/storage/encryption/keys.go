package encryption

import (
	"bytes"
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KeyTransformer applies a Config to storage keys: it finds the resource a
// key belongs to and transforms the value with that resource's chain;
// values of resources the config does not name pass through unchanged.
//
// Keys are the store's layout: <storePrefix>/<resource>/... for the core
// group and <storePrefix>/<group>/<resource>/... for the others; isGroup
// tells which first segments are API groups.
type KeyTransformer struct {
	cfg         *Config
	storePrefix string
	isGroup     func(string) bool
}

// KeyTransformer returns the transformer for a store under storePrefix
// (e.g. "/registry").
func (c *Config) KeyTransformer(storePrefix string, isGroup func(string) bool) *KeyTransformer {
	return &KeyTransformer{cfg: c, storePrefix: storePrefix, isGroup: isGroup}
}

// GroupResource returns the resource a full storage key belongs to.
func (k *KeyTransformer) GroupResource(key string) schema.GroupResource {
	rest := strings.TrimPrefix(strings.TrimPrefix(key, k.storePrefix), "/")
	first, rest, _ := strings.Cut(rest, "/")
	if k.isGroup(first) {
		second, _, _ := strings.Cut(rest, "/")
		return schema.GroupResource{Group: first, Resource: second}
	}
	return schema.GroupResource{Resource: first}
}

// TransformToStorage seals plain with the key's resource's first provider.
func (k *KeyTransformer) TransformToStorage(ctx context.Context, plain []byte, key string) ([]byte, error) {
	c := k.cfg.For(k.GroupResource(key))
	if c == nil {
		return plain, nil
	}
	return c.TransformToStorage(ctx, plain, key)
}

// TransformFromStorage opens value with the provider its prefix names.
// For a resource the config does not name, values pass through; an
// encrypted one is an error (its provider is no longer configured).
func (k *KeyTransformer) TransformFromStorage(ctx context.Context, value []byte, key string) ([]byte, bool, error) {
	c := k.cfg.For(k.GroupResource(key))
	if c == nil {
		if bytes.HasPrefix(value, []byte(encPrefix)) {
			return (&Chain{items: []prefixed{{t: identity{}}}}).TransformFromStorage(ctx, value, key)
		}
		return value, false, nil
	}
	return c.TransformFromStorage(ctx, value, key)
}
