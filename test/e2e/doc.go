// Package e2e holds Capstan's end-to-end tests: TestMain builds the capstan
// binary once, each test starts its own `capstan server` on a free loopback
// port with a temporary data dir, and drives it with the real kubectl
// binaries found on the machine (every kubectl case runs once per kubectl
// version). Assertions are on what kubectl prints, matching upstream text
// where upstream's output is known.
//
// The package holds tests only. It must not import Capstan's internal
// packages: it sees the server exactly as a user does, through the binary,
// its flags, its files and the API. It must not leave processes or data
// behind; every server it starts is stopped in t.Cleanup.
package e2e
