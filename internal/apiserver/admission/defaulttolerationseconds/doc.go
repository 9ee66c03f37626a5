// Package defaulttolerationseconds is the DefaultTolerationSeconds admission
// plugin: new pods that do not tolerate the node not-ready and unreachable
// NoExecute taints get tolerations for them lasting 300 seconds, so pods are
// evicted five minutes after their node fails rather than at once.
//
// It must not touch pods that already tolerate those taints, nor any object
// other than a pod being created.
package defaulttolerationseconds
