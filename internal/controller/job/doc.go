// Package job is the Job controller: it creates the pods of a batch/v1 Job
// (parallelism, completions, Indexed completion mode), re-creates failed
// ones with exponential backoff, applies the pod failure policy, the
// active deadline and suspension, tracks terminated pods with the
// batch.kubernetes.io/job-tracking finalizer so that no count is lost when
// pods are deleted, and writes the Job status and conditions as upstream
// does (SuccessCriteriaMet/FailureTarget, then Complete/Failed).
//
// Decisions (counting, success/failure, pod arithmetic, index bookkeeping,
// failure policy, backoffLimitPerIndex, backoff) are pure functions in
// decide.go, plan.go, indexes.go, failurepolicy.go, perindex.go and
// backoff.go; controller.go, sync.go, pods.go and expectations.go are the
// client-go shell around them.
//
// It must not delete finished Jobs (that is ttlafterfinished), must not set
// pod phases (that is the kubelet's) and must not read storage directly.
package job
