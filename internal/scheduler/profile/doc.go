// Package profile describes a scheduling profile — which plugins run, their
// score weights and arguments, percentageOfNodesToScore — as a plain Go
// struct a config-file loader can fill, and builds the framework from it
// through the one registry function of in-tree plugins (registry.go).
//
// It must not register plugins from init() or keep any state: building the
// same Config twice gives two independent frameworks.
package profile
