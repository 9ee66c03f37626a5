// Package generated holds the OpenAPI definitions of the built-in API types
// (k8s.io/api groups served by Capstan and the apimachinery meta types),
// produced by openapi-gen through hack/update-openapi.sh.
//
// It is generated code only: never edit zz_generated.openapi.go by hand and
// add no logic here; change the input package list in the script and rerun it.
package generated
