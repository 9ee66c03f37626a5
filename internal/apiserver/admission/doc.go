// Package admission defines what an admission plugin is (a mutating Admit
// and/or a validating Validate over the Attributes of one request), the
// Lookup through which plugins read other objects from the API server's own
// store, and the Chain that runs plugins in their fixed upstream order:
// every mutating step first, then every validating step.
//
// It must not import the API server, storage or any plugin package: the
// server depends on it, plugins depend on it, and the list of built-in
// plugins lives in admission/builtin. Plugins must not write objects; they
// only mutate the object under admission and read through Lookup.
package admission
