package apiserver

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// allowedParams lists the query parameters each verb understands (upstream's
// GetOptions, ListOptions, CreateOptions, UpdateOptions, PatchOptions,
// DeleteOptions, plus pretty and timeout). Anything else is a client mistake.
func allowedParams(verb string) []string {
	common := []string{"pretty", "timeout"}
	list := []string{"labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "limit", "continue",
		"timeoutSeconds", "allowWatchBookmarks", "sendInitialEvents", "watch", "includeObject"}
	write := []string{"dryRun", "fieldManager", "fieldValidation"}
	switch verb {
	case "get":
		return append(common, "resourceVersion", "includeObject", "export", "exact")
	case "list", "watch":
		return append(common, list...)
	case "create", "update":
		return append(common, write...)
	case "patch":
		return append(common, append(write, "force")...)
	case "delete":
		return append(common, "dryRun", "gracePeriodSeconds", "propagationPolicy", "orphanDependents", "ignoreStoreReadErrorWithClusterBreakingPotential")
	case "deletecollection":
		return append(append(common, list...), "dryRun", "gracePeriodSeconds", "propagationPolicy", "orphanDependents")
	}
	return common
}

// checkParams rejects unknown parameters and malformed values of known ones.
func checkParams(verb string, q url.Values) error {
	allowed := allowedParams(verb)
	for k := range q {
		if !slices.Contains(allowed, k) {
			return apierrors.NewBadRequest(fmt.Sprintf("unknown query parameter %q for %s", k, verb))
		}
	}
	for _, k := range []string{"watch", "allowWatchBookmarks", "sendInitialEvents", "orphanDependents", "force", "pretty", "exact", "export"} {
		if v := q.Get(k); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				return apierrors.NewBadRequest(fmt.Sprintf("invalid value %q for query parameter %s: must be true or false", v, k))
			}
		}
	}
	for _, k := range []string{"limit", "timeoutSeconds", "gracePeriodSeconds"} {
		if v := q.Get(k); v != "" {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return apierrors.NewBadRequest(fmt.Sprintf("invalid value %q for query parameter %s: must be an integer", v, k))
			}
		}
	}
	for _, v := range q["dryRun"] {
		if v != "All" {
			return apierrors.NewBadRequest(fmt.Sprintf("Invalid dry run argument %q: only \"All\" is supported", v))
		}
	}
	switch v := q.Get("fieldValidation"); v {
	case "", "Ignore", "Warn", "Strict":
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("fieldValidation parameter unsupported: %s (must be one of Ignore, Warn, Strict)", v))
	}
	switch v := q.Get("propagationPolicy"); v {
	case "", "Orphan", "Background", "Foreground":
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("propagationPolicy %q is not one of Orphan, Background, Foreground", v))
	}
	switch v := q.Get("includeObject"); v {
	case "", "None", "Metadata", "Object":
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("includeObject %q is not one of None, Metadata, Object", v))
	}
	switch v := q.Get("resourceVersionMatch"); v {
	case "", "Exact", "NotOlderThan":
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("resourceVersionMatch %q is not one of Exact, NotOlderThan", v))
	}
	return nil
}

// int64Param returns the integer parameter k (already validated) or def.
func int64Param(q url.Values, k string, def int64) int64 {
	if v := q.Get(k); v != "" {
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return def
}

// boolParam returns the boolean parameter k (already validated).
func boolParam(q url.Values, k string) bool {
	b, _ := strconv.ParseBool(q.Get(k))
	return b
}
