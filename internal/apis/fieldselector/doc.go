// Package fieldselector knows which fields of the built-in kinds can be used
// in a list or watch field selector (`--field-selector spec.nodeName=n1`) and
// what each object's values for them are, as kube-apiserver v1.33 does.
//
// Fields builds an object's selectable field set; Supported and Convert check
// a selector label for a kind and map deprecated aliases (a pod's spec.host)
// to the canonical label, returning upstream's error text for unsupported ones.
//
// This package must not parse selectors, list or filter objects, or produce
// HTTP responses: the API server does those with k8s.io/apimachinery/pkg/fields.
package fieldselector
