// Package oidctest runs an OpenID Connect issuer on loopback for tests:
// an httptest TLS server serving the discovery document and a JWKS, and
// RS256 ID tokens signed with its key. It must not be imported by
// non-test code paths of the server.
package oidctest
