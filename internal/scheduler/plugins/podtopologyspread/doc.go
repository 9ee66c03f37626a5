// Package podtopologyspread is the PodTopologySpread plugin: a pod's
// DoNotSchedule spread constraints as a filter (maxSkew, minDomains,
// nodeAffinityPolicy, nodeTaintsPolicy, matchLabelKeys) and its
// ScheduleAnyway constraints as a score, with upstream's reasons and
// formulas. PreFilter and PreScore count matching pods per topology domain
// once per cycle; Filter and Score are map lookups. It reads only the
// snapshot; it must not do I/O or keep state between cycles. The system
// default constraints (which need Service and workload listers) are not
// applied.
package podtopologyspread
