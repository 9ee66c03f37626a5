// Package podtopologyspread is the PodTopologySpread plugin: a pod's
// DoNotSchedule spread constraints as a filter (maxSkew, minDomains,
// nodeAffinityPolicy, nodeTaintsPolicy, matchLabelKeys) and its
// ScheduleAnyway constraints as a score, with upstream's reasons and
// formulas. PreFilter and PreScore count matching pods per topology domain
// once per cycle; Filter and Score are map lookups; PreFilterExtensions
// keep the filter counts right when preemption removes victims or
// nominated pods are added. Pods without constraints get the default
// constraints (upstream's System defaults, or the configured List) with a
// selector built from the Services, ReplicaSet, StatefulSet or
// ReplicationController selecting them, looked up through the Workloads
// interface. The matching pods of each node are remembered
// (framework.NodeMemo) per selectors and namespace and reused only while
// that node's NodeInfo is unchanged. It reads only the snapshot and
// Workloads; it must not do I/O or keep any other state between cycles.
package podtopologyspread
