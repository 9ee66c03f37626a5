// Package importcheck lets a package's tests pin its import boundaries: which
// parts of the module and which libraries it must never depend on. It is for
// tests only and must not be imported by production code.
package importcheck
