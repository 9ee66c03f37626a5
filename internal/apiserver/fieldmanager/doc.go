// Package fieldmanager implements server-side apply and managed-fields
// tracking for the API server: it merges apply patches into live objects with
// the semantics of upstream kube-apiserver (ownership per field manager,
// removal of fields a manager stopped applying, 409 conflicts unless forced)
// and records an "Update" entry in metadata.managedFields for every other
// write.
//
// It works on typed k8s.io/api objects through structured-merge-diff, with a
// schema built once from the generated OpenAPI definitions. It is a pure
// library over values: it must not read or write storage, run defaulting,
// validation or admission, or know about HTTP beyond returning apierrors
// statuses the handler can write as is.
package fieldmanager
