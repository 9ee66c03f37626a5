package abac

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// APIVersion is the only policy version accepted.
const APIVersion = "abac.authorization.kubernetes.io/v1beta1"

// Policy is one line of a policy file.
type Policy struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Spec       PolicySpec `json:"spec"`
}

// PolicySpec says what a policy allows; field names are upstream's.
type PolicySpec struct {
	// User and Group name the subject ("*" for everyone); at least one
	// must be set, and every one set must match.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// Readonly limits the policy to get, list and watch.
	Readonly bool `json:"readonly,omitempty"`
	// APIGroup, Resource and Namespace restrict resource requests ("*"
	// matches any; an empty Namespace matches cluster-scoped requests).
	APIGroup  string `json:"apiGroup,omitempty"`
	Resource  string `json:"resource,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	// NonResourcePath restricts non-resource requests: "*", an exact
	// path, or a prefix ending in "*".
	NonResourcePath string `json:"nonResourcePath,omitempty"`
}

// LoadFile reads a policy file.
func LoadFile(path string) ([]PolicySpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authorization policy file: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads policies, one JSON object a line; blank lines and lines
// starting with "#" are skipped. name is used in errors.
func Parse(r io.Reader, name string) ([]PolicySpec, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var specs []PolicySpec
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		p, err := parseLine(b)
		if err != nil {
			return nil, fmt.Errorf("authorization policy file %s, line %d: %w", name, line, err)
		}
		specs = append(specs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read authorization policy file %s: %w", name, err)
	}
	return specs, nil
}

func parseLine(b []byte) (PolicySpec, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return PolicySpec{}, fmt.Errorf("decode policy: %w", err)
	}
	if dec.More() {
		return PolicySpec{}, fmt.Errorf("more than one JSON object on the line")
	}
	switch {
	case p.APIVersion != APIVersion:
		return PolicySpec{}, fmt.Errorf("apiVersion %q: only %s is supported", p.APIVersion, APIVersion)
	case p.Kind != "Policy":
		return PolicySpec{}, fmt.Errorf("kind %q: must be Policy", p.Kind)
	case p.Spec.User == "" && p.Spec.Group == "":
		return PolicySpec{}, fmt.Errorf("spec: user or group must be set")
	}
	return p.Spec, nil
}
