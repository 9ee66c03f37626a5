// Package profile describes a scheduling profile — which plugins run at
// each extension point, their score weights and arguments,
// percentageOfNodesToScore — as a plain Go struct, reads the profiles of a
// KubeSchedulerConfiguration file into such structs (file.go), places the
// plugins on the extension points as upstream's framework does
// (plugins.go), and builds the framework of one profile through the one
// registry function of in-tree plugins (registry.go).
//
// It must not register plugins from init() or keep any state: building the
// same Config twice gives two independent frameworks.
package profile
