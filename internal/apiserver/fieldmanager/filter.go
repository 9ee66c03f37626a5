package fieldmanager

import (
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// ownershipFilter removes from a manager's field set what no manager may
// own: object identity and server-set metadata (always, non-recursively, so
// metadata.labels stay ownable), and what the endpoint resets: .status for
// the main resource, everything but .status for the status subresource.
type ownershipFilter struct {
	strip *fieldpath.Set
	reset *fieldpath.Set        // removed with descendants (main resource)
	keep  *fieldpath.SetMatcher // only these kept (status subresource)
}

var _ fieldpath.Filter = ownershipFilter{}

func newOwnershipFilter(subresource string) ownershipFilter {
	f := ownershipFilter{
		strip: fieldpath.NewSet(
			fieldpath.MakePathOrDie("apiVersion"),
			fieldpath.MakePathOrDie("kind"),
			fieldpath.MakePathOrDie("metadata"),
			fieldpath.MakePathOrDie("metadata", "name"),
			fieldpath.MakePathOrDie("metadata", "namespace"),
			fieldpath.MakePathOrDie("metadata", "creationTimestamp"),
			fieldpath.MakePathOrDie("metadata", "selfLink"),
			fieldpath.MakePathOrDie("metadata", "uid"),
			fieldpath.MakePathOrDie("metadata", "clusterName"),
			fieldpath.MakePathOrDie("metadata", "generation"),
			fieldpath.MakePathOrDie("metadata", "managedFields"),
			fieldpath.MakePathOrDie("metadata", "resourceVersion"),
		),
	}
	if subresource == "status" {
		f.keep = fieldpath.MakePrefixMatcherOrDie("status")
	} else {
		f.reset = fieldpath.NewSet(fieldpath.MakePathOrDie("status"))
	}
	return f
}

// Filter implements fieldpath.Filter.
func (f ownershipFilter) Filter(s *fieldpath.Set) *fieldpath.Set {
	s = s.Difference(f.strip)
	if f.keep != nil {
		return s.FilterIncludeMatches(f.keep)
	}
	return s.RecursiveDifference(f.reset)
}
