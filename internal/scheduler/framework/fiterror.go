package framework

import (
	"fmt"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// NoNodesAvailableMsg is the upstream message when the cluster has no nodes.
const NoNodesAvailableMsg = "no nodes available to schedule pods"

// FitError says why no node fits a pod. It is a decision, carried as an
// error value only so the scheduling loop can tell it from a fault.
type FitError struct {
	Pod         *v1.Pod
	NumAllNodes int
	// PreFilterMsg is set when a PreFilter plugin rejected the pod.
	PreFilterMsg string
	// NodeStatuses is the Filter verdict per node name.
	NodeStatuses map[string]*Status
	// PostFilterMsg is the message of the PostFilter plugins (preemption).
	PostFilterMsg string
	// NominatedNode is the node a PostFilter plugin nominated, if any.
	NominatedNode string
	// Hint is Capstan's extra sentence naming the smallest change.
	Hint string
}

// Error renders the upstream message: "0/N nodes are available: <count>
// <reason>, ... <postfilter message>." with the reason histogram sorted as
// strings, then the hint.
func (f *FitError) Error() string {
	if f.NumAllNodes == 0 {
		return NoNodesAvailableMsg
	}
	msg := fmt.Sprintf("0/%d nodes are available:", f.NumAllNodes)
	if f.PreFilterMsg != "" {
		msg += " " + f.PreFilterMsg + "."
	} else if h := ReasonHistogram(f.NodeStatuses); h != "" {
		msg += " " + h + "."
	}
	if f.PostFilterMsg != "" {
		msg += " " + f.PostFilterMsg + "."
	}
	if f.Hint != "" {
		msg += " " + f.Hint
	}
	return msg
}

// ReasonHistogram counts each reason over statuses and renders "<n>
// <reason>" items sorted as strings and joined with ", ".
func ReasonHistogram(statuses map[string]*Status) string {
	counts := map[string]int{}
	for _, st := range statuses {
		for _, r := range st.Reasons() {
			counts[r]++
		}
	}
	items := make([]string, 0, len(counts))
	for r, n := range counts {
		items = append(items, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(items)
	return strings.Join(items, ", ")
}

// UnschedulablePlugins lists the plugins that rejected the pod somewhere.
func (f *FitError) UnschedulablePlugins() map[string]bool {
	out := map[string]bool{}
	for _, st := range f.NodeStatuses {
		if st.Plugin() != "" {
			out[st.Plugin()] = true
		}
	}
	return out
}
