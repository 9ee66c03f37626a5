package encryption

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The EncryptionConfiguration file, as upstream's
// apiserver.config.k8s.io/v1 types (only the fields Capstan reads; unknown
// fields are errors).
type fileConfig struct {
	APIVersion string          `yaml:"apiVersion"`
	Kind       string          `yaml:"kind"`
	Resources  []resourceEntry `yaml:"resources"`
}

type resourceEntry struct {
	Resources []string        `yaml:"resources"`
	Providers []providerEntry `yaml:"providers"`
}

type providerEntry struct {
	AESGCM    *keysEntry     `yaml:"aesgcm"`
	AESCBC    *keysEntry     `yaml:"aescbc"`
	Secretbox *keysEntry     `yaml:"secretbox"`
	Identity  *struct{}      `yaml:"identity"`
	KMS       map[string]any `yaml:"kms"`
}

type keysEntry struct {
	Keys []keyEntry `yaml:"keys"`
}

type keyEntry struct {
	Name   string `yaml:"name"`
	Secret string `yaml:"secret"`
}

// Config is a loaded EncryptionConfiguration: for each resource, the chain
// of providers that stores it.
type Config struct {
	rules []rule
}

type rule struct {
	patterns []pattern
	chain    *Chain
}

// pattern is one entry of a resources list: "secrets",
// "deployments.apps", "*.apps", "*." (the core group) or "*.*".
type pattern struct {
	group, resource string // "*" for any
}

func (p pattern) matches(gr schema.GroupResource) bool {
	return (p.group == "*" || p.group == gr.Group) && (p.resource == "*" || p.resource == gr.Resource)
}

// covers reports whether every resource q matches also matches p.
func (p pattern) covers(q pattern) bool {
	return (p.group == "*" || p.group == q.group) && (p.resource == "*" || p.resource == q.resource)
}

func (p pattern) String() string {
	if p.resource == "*" {
		return "*." + p.group
	}
	if p.group == "" {
		return p.resource
	}
	return p.resource + "." + p.group
}

// Load reads and validates the EncryptionConfiguration at path. Errors name
// the file and, where known, the line of the offending entry.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption provider config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("encryption provider config %s: %w", path, err)
	}
	return c, nil
}

// Parse validates an EncryptionConfiguration document and builds its
// provider chains.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if root.Kind == 0 {
		return nil, errors.New("no EncryptionConfiguration: the document is empty")
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil {
		return nil, err
	}
	if fc.Kind != "EncryptionConfiguration" || fc.APIVersion != "apiserver.config.k8s.io/v1" {
		return nil, fmt.Errorf("apiVersion %q kind %q: want apiserver.config.k8s.io/v1 EncryptionConfiguration", fc.APIVersion, fc.Kind)
	}
	if len(fc.Resources) == 0 {
		return nil, errors.New("resources: at least one entry is required")
	}
	c := &Config{}
	var seen []pattern
	for i, e := range fc.Resources {
		at := func(path ...any) string {
			full := append([]any{"resources", i}, path...)
			return where(&root, full...) + fieldPath(full) + ": "
		}
		r, err := buildRule(e, seen, at)
		if err != nil {
			return nil, err
		}
		seen = append(seen, r.patterns...)
		c.rules = append(c.rules, r)
	}
	return c, nil
}

// buildRule validates one resources entry; seen are the patterns of the
// entries before it, which win over it. at locates a path under the entry.
func buildRule(e resourceEntry, seen []pattern, at func(path ...any) string) (rule, error) {
	var r rule
	if len(e.Resources) == 0 {
		return r, fmt.Errorf("%sat least one resource is required", at("resources"))
	}
	if len(e.Providers) == 0 {
		return r, fmt.Errorf("%sat least one provider is required", at("providers"))
	}
	for j, s := range e.Resources {
		p, err := parsePattern(s)
		if err != nil {
			return r, fmt.Errorf("%s%w", at("resources", j), err)
		}
		for _, q := range append(append([]pattern{}, seen...), r.patterns...) {
			if q.covers(p) {
				return r, fmt.Errorf("%s%q is masked by earlier rule %q", at("resources", j), s, q.String())
			}
		}
		r.patterns = append(r.patterns, p)
	}
	r.chain = &Chain{}
	for j, pe := range e.Providers {
		items, err := buildProvider(pe, func(path ...any) string { return at(append([]any{"providers", j}, path...)...) })
		if err != nil {
			return r, err
		}
		r.chain.items = append(r.chain.items, items...)
	}
	return r, nil
}

// parsePattern reads one resources entry ("secrets", "deployments.apps",
// "*.apps", "*.", "*.*").
func parsePattern(s string) (pattern, error) {
	switch {
	case s == "":
		return pattern{}, errors.New("empty resource name")
	case s == "*":
		return pattern{}, errors.New(`"*" is not a valid resource; use "*." for the core group or "*.*" for all resources`)
	case s != strings.ToLower(s):
		return pattern{}, fmt.Errorf("resource %q must be lower case", s)
	}
	res, group, _ := strings.Cut(s, ".")
	if strings.Contains(res, "*") && res != "*" || strings.Contains(group, "*") && (group != "*" || res != "*") {
		return pattern{}, fmt.Errorf("resource %q: wildcards are only \"*.<group>\", \"*.\" and \"*.*\"", s)
	}
	return pattern{group: group, resource: res}, nil
}

// buildProvider validates one providers entry and returns its provider/key
// pairs in order.
func buildProvider(pe providerEntry, at func(path ...any) string) ([]prefixed, error) {
	type kind struct {
		name  string
		keys  *keysEntry
		sizes []int
		build func([]byte) (valueTransformer, error)
	}
	var kinds []kind
	if pe.AESGCM != nil {
		kinds = append(kinds, kind{"aesgcm", pe.AESGCM, []int{16, 24, 32}, newAESGCM})
	}
	if pe.AESCBC != nil {
		kinds = append(kinds, kind{"aescbc", pe.AESCBC, []int{16, 24, 32}, newAESCBC})
	}
	if pe.Secretbox != nil {
		kinds = append(kinds, kind{"secretbox", pe.Secretbox, []int{32}, newSecretbox})
	}
	n := len(kinds)
	if pe.Identity != nil {
		n++
	}
	if pe.KMS != nil {
		return nil, fmt.Errorf("%sKMS providers are not supported by Capstan; use aescbc, aesgcm or secretbox", at("kms"))
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%sno provider given (one of aescbc, aesgcm, secretbox, identity)", at())
	case n > 1:
		return nil, fmt.Errorf("%smore than one provider in one entry; give each its own list element", at())
	case pe.Identity != nil:
		return []prefixed{{t: identity{}}}, nil
	}
	k := kinds[0]
	if len(k.keys.Keys) == 0 {
		return nil, fmt.Errorf("%sat least one key is required", at(k.name, "keys"))
	}
	var out []prefixed
	names := map[string]bool{}
	for i, key := range k.keys.Keys {
		t, err := buildKey(key, k.name, k.sizes, k.build, names)
		if err != nil {
			return nil, fmt.Errorf("%s%w", at(k.name, "keys", i), err)
		}
		out = append(out, prefixed{prefix: []byte(encPrefix + k.name + ":v1:" + key.Name + ":"), t: t})
	}
	return out, nil
}

func buildKey(key keyEntry, provider string, sizes []int, build func([]byte) (valueTransformer, error), names map[string]bool) (valueTransformer, error) {
	switch {
	case key.Name == "":
		return nil, errors.New("name is required")
	case strings.Contains(key.Name, ":"):
		return nil, fmt.Errorf("name %q must not contain ':'", key.Name)
	case names[key.Name]:
		return nil, fmt.Errorf("duplicate key name %q", key.Name)
	case key.Secret == "":
		return nil, fmt.Errorf("key %q: secret is required", key.Name)
	}
	names[key.Name] = true
	secret, err := base64.StdEncoding.DecodeString(key.Secret)
	if err != nil {
		return nil, fmt.Errorf("key %q: secret is not valid base64", key.Name)
	}
	ok := false
	for _, n := range sizes {
		ok = ok || len(secret) == n
	}
	if !ok {
		return nil, fmt.Errorf("key %q: secret is %d bytes, %s needs one of %v", key.Name, len(secret), provider, sizes)
	}
	return build(secret)
}

// For returns the chain that stores gr, or nil if gr is not encrypted (the
// first rule whose resources match gr wins, as upstream).
func (c *Config) For(gr schema.GroupResource) *Chain {
	for _, r := range c.rules {
		for _, p := range r.patterns {
			if p.matches(gr) {
				return r.chain
			}
		}
	}
	return nil
}
