// Package namespace is the namespace controller: for a Namespace being
// deleted it deletes every namespaced object in it, reports progress in the
// upstream status conditions, and, once the namespace is empty, removes the
// "kubernetes" finalizer through the finalize subresource so that the API
// server can delete the namespace.
//
// The conditions it writes are computed by a pure function (conditions.go)
// from a Report of one deletion pass. It must not touch namespaces that are
// not being deleted, must not remove finalizers other than "kubernetes", and
// must not read storage directly: everything goes through the API.
package namespace
