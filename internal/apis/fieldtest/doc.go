// Package fieldtest holds the assertion the validation tests of every API
// group share. It is imported by tests only.
package fieldtest
