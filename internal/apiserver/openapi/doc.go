// Package openapi builds and serves the API server's OpenAPI documents:
// Swagger 2.0 at /openapi/v2 (JSON and protobuf) and OpenAPI 3.0 at
// /openapi/v3 (an index) and /openapi/v3/<api|apis/group>/<version> (one
// document per group version), as kubectl and client-go expect them.
//
// The documents are built once from a list of served resources and the
// definitions generated into package generated, and are immutable afterwards.
// Route and definition building are plain functions over that list; the HTTP
// side only negotiates content types and ETags over precomputed bytes.
//
// This package must not know how resources are stored or served: it takes a
// description of them and never imports the API server, storage or etcd.
package openapi
