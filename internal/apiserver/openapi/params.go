package openapi

import "k8s.io/kube-openapi/pkg/common"

// The query, path and body parameters of the REST operations, described in
// Capstan's words. Each is a value built on demand; none is shared state.

func query(name, dataType, description string) param {
	return param{name: name, description: description, kind: common.QueryParameterKind, dataType: dataType}
}

func pathParam(name, description string) param {
	return param{name: name, description: description, kind: common.PathParameterKind, dataType: "string", required: true}
}

func bodyParam(required bool) param {
	return param{name: "body", kind: common.BodyParameterKind, required: required}
}

func prettyParam() param {
	return query("pretty", "string", "If 'true', the response is indented for reading.")
}

func namespaceParam() param {
	return pathParam("namespace", "object name and auth scope, such as for teams and projects")
}

func nameParam(kind string) param {
	return pathParam("name", "name of the "+kind)
}

// listParams are the options of list and watch operations.
func listParams() []common.Parameter {
	return []common.Parameter{
		query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK watch events; servers may ignore it. Ignored unless watching."),
		query("continue", "string", "The continue token of a previous paginated list, to fetch the next page."),
		query("fieldSelector", "string", "Restrict the returned objects by their fields. Defaults to everything."),
		query("labelSelector", "string", "Restrict the returned objects by their labels. Defaults to everything."),
		query("limit", "integer", "The maximum number of objects to return in one page; a continue token is returned when more exist."),
		query("resourceVersion", "string", "Which resource version the list or watch starts from; see resourceVersionMatch."),
		query("resourceVersionMatch", "string", "How resourceVersion is applied to a list: Exact or NotOlderThan."),
		query("sendInitialEvents", "boolean", "With watch=true, start the watch with synthetic ADDED events for the current state."),
		query("timeoutSeconds", "integer", "Timeout for the list or watch call, regardless of activity."),
		query("watch", "boolean", "Watch for changes to the described resources and return them as a stream of events."),
	}
}

// writeParams are the options of create and update operations.
func writeParams() []common.Parameter {
	return []common.Parameter{
		query("dryRun", "string", "When present, the change is validated but not persisted. The only valid value is All."),
		query("fieldManager", "string", "The name of the actor making the change, recorded in managed fields."),
		query("fieldValidation", "string", "How the server treats unknown or duplicate fields: Ignore, Warn or Strict."),
	}
}

// patchParams are the options of patch operations.
func patchParams() []common.Parameter {
	return append(writeParams(),
		query("force", "boolean", "For apply patches, take ownership of conflicting fields from other managers."))
}

// deleteParams are the options of delete operations.
func deleteParams() []common.Parameter {
	return []common.Parameter{
		query("dryRun", "string", "When present, the deletion is validated but not persisted. The only valid value is All."),
		query("gracePeriodSeconds", "integer", "Seconds before the object is deleted; zero deletes immediately."),
		query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "Delete objects that cannot be read from storage. Dangerous."),
		query("orphanDependents", "boolean", "Deprecated: use propagationPolicy. Whether dependents are orphaned."),
		query("propagationPolicy", "string", "Whether and how garbage collection deletes dependents: Orphan, Background or Foreground."),
	}
}

// deleteCollectionParams are the options of deletecollection operations:
// those of delete plus the list selectors.
func deleteCollectionParams() []common.Parameter {
	ps := deleteParams()
	for _, p := range listParams() {
		switch p.Name() {
		case "allowWatchBookmarks", "watch":
			continue
		}
		ps = append(ps, p)
	}
	return ps
}

// Media types of requests and responses.
func objectMediaTypes() []string {
	return []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
}

func listMediaTypes() []string {
	return append(objectMediaTypes(), "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch")
}

func patchMediaTypes() []string {
	return []string{"application/json-patch+json", "application/merge-patch+json",
		"application/strategic-merge-patch+json", "application/apply-patch+yaml"}
}

func anyMediaType() []string { return []string{"*/*"} }
