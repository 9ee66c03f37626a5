// Package admissiontest provides an in-memory admission.Lookup for plugin
// tests. It must not be imported by non-test code.
package admissiontest
