package apiserver

import (
	"net/http"
	"strings"
)

// requestInfo is what a resource path and method name.
type requestInfo struct {
	group, version      string
	namespace           string
	resource, name, sub string
	verb                string // get list watch create update patch delete deletecollection
	collection          bool
}

// namespaceSubresources are the subresources of a namespace object, which
// would otherwise read as resources inside it.
func isNamespaceSubresource(s string) bool { return s == "status" || s == "finalize" }

// parseResourcePath reads /api/v1/... and /apis/g/v/... paths. ok is false
// for anything that is not a resource path.
func parseResourcePath(r *http.Request) (requestInfo, bool) {
	parts := splitPath(r.URL.Path)
	var ri requestInfo
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ri.version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ri.group, ri.version, parts = parts[1], parts[2], parts[3:]
	default:
		return ri, false
	}
	if parts[0] == "namespaces" && len(parts) >= 3 && !isNamespaceSubresource(parts[2]) {
		ri.namespace, parts = parts[1], parts[2:]
	}
	ri.resource = parts[0]
	if len(parts) > 1 {
		ri.name = parts[1]
	}
	if len(parts) > 2 {
		ri.sub = strings.Join(parts[2:], "/")
	}
	if ri.resource == "namespaces" && ri.name != "" {
		// A namespace's own name is its namespace for routing purposes.
		ri.namespace = ""
	}
	ri.collection = ri.name == ""
	q := r.URL.Query()
	watching := q.Get("watch") == "true" || q.Get("watch") == "1"
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case watching:
			ri.verb = "watch"
		case ri.collection:
			ri.verb = "list"
		default:
			ri.verb = "get"
		}
	case http.MethodPost:
		ri.verb = "create"
	case http.MethodPut:
		ri.verb = "update"
	case http.MethodPatch:
		ri.verb = "patch"
	case http.MethodDelete:
		ri.verb = "delete"
		if ri.collection {
			ri.verb = "deletecollection"
		}
	default:
		return ri, false
	}
	return ri, true
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
