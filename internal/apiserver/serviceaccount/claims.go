package serviceaccount

import (
	"github.com/go-jose/go-jose/v4/jwt"
)

// Claim names and user attributes as upstream.
const (
	// DefaultIssuer is the issuer (and default API audience) when none is
	// configured, as k3s-like distributions use.
	DefaultIssuer = "https://kubernetes.default.svc.cluster.local"

	subjectPrefix = "system:serviceaccount:"
	allGroup      = "system:serviceaccounts"
	groupPrefix   = "system:serviceaccounts:"

	extraPodName      = "authentication.kubernetes.io/pod-name"
	extraPodUID       = "authentication.kubernetes.io/pod-uid"
	extraNodeName     = "authentication.kubernetes.io/node-name"
	extraNodeUID      = "authentication.kubernetes.io/node-uid"
	extraCredentialID = "authentication.kubernetes.io/credential-id"
)

// privateClaims is the "kubernetes.io" claim of a bound token.
type privateClaims struct {
	Kubernetes kubernetesClaim `json:"kubernetes.io"`
}

type kubernetesClaim struct {
	Namespace      string           `json:"namespace,omitempty"`
	ServiceAccount ref              `json:"serviceaccount"`
	Pod            *ref             `json:"pod,omitempty"`
	Secret         *ref             `json:"secret,omitempty"`
	Node           *ref             `json:"node,omitempty"`
	WarnAfter      *jwt.NumericDate `json:"warnafter,omitempty"`
}

type ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Subject is the sub claim and user name of an account.
func Subject(namespace, name string) string { return subjectPrefix + namespace + ":" + name }

// issuedClaims are the registered claims of an issued token; unlike
// jwt.Claims, aud is always an array, as upstream's tokens show it.
type issuedClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  []string         `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ID        string           `json:"jti"`
}
