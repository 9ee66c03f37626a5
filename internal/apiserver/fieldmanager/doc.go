// Package fieldmanager implements server-side apply and managed-fields
// tracking for the API server: it merges apply patches into live objects with
// the semantics of upstream kube-apiserver (ownership per field manager,
// removal of fields a manager stopped applying, 409 conflicts unless forced)
// and records an "Update" entry in metadata.managedFields for every other
// write.
//
// It works on typed k8s.io/api objects through structured-merge-diff, with a
// schema built once from the generated OpenAPI definitions. Creates, the
// hottest write, take a shortcut that computes the same field set from the
// object's unstructured data (conform.go, added.go; tests hold it to
// structured-merge-diff's own results on random objects of every kind) and
// fall back to structured-merge-diff for any shape it does not handle.
// Typed objects are read as unstructured data through a conversion plan
// built once per Go type (tounstructured.go), which must return exactly
// what apimachinery's DefaultUnstructuredConverter returns; types it does
// not cover go to that converter.
//
// It is a pure library over values: it must not read or write storage, run
// defaulting, validation or admission, or know about HTTP beyond returning
// apierrors statuses the handler can write as is. It must not change an
// object it only reads (the current object may be shared).
package fieldmanager
