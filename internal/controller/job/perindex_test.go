package job

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

func perIndex(limit int32) jobOpt {
	return func(j *batchv1.Job) {
		j.Spec.CompletionMode = ptrTo(batchv1.IndexedCompletion)
		j.Spec.BackoffLimitPerIndex = &limit
	}
}

func failureCount(n string) podOpt {
	return func(p *corev1.Pod) { p.Annotations[batchv1.JobIndexFailureCountAnnotation] = n }
}

func TestPerIndexFailures(t *testing.T) {
	failIndexRule := func(j *batchv1.Job) {
		j.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
			Action: batchv1.PodFailurePolicyActionFailIndex, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
				Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}}}}}
	}
	tests := []struct {
		name         string
		job          *batchv1.Job
		pod          *corev1.Pod
		wantFailed   []int
		wantFailures map[int]int
	}{
		{name: "first failure within the limit", job: testJob(parallel(2, 3), perIndex(1)),
			pod: testPod("a", phase(corev1.PodFailed), index("1")), wantFailures: map[int]int{1: 1}},
		{name: "second failure exceeds limit 1", job: testJob(parallel(2, 3), perIndex(1)),
			pod: testPod("a", phase(corev1.PodFailed), index("1"), failureCount("1")), wantFailed: []int{1}, wantFailures: map[int]int{1: 2}},
		{name: "limit 0 fails the index at once", job: testJob(parallel(2, 3), perIndex(0)),
			pod: testPod("a", phase(corev1.PodFailed), index("2")), wantFailed: []int{2}, wantFailures: map[int]int{2: 1}},
		{name: "FailIndex rule", job: testJob(parallel(2, 3), perIndex(5), failIndexRule),
			pod: testPod("a", phase(corev1.PodFailed), index("0"), exitCode("main", 3)), wantFailed: []int{0}, wantFailures: map[int]int{0: 1}},
		{name: "without per-index limit no index fails", job: testJob(parallel(2, 3), indexed),
			pod: testPod("a", phase(corev1.PodFailed), index("0")), wantFailures: map[int]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := track(trackInput{job: tt.job, pods: pods(tt.pod), uncountedSucceeded: sets.New[types.UID](),
				uncountedFailed: sets.New[types.UID](), removed: func(types.UID) bool { return false }, now: t0})
			if !sets.New(got.newFailedIndexes...).Equal(sets.New(tt.wantFailed...)) {
				t.Errorf("failed indexes %v, want %v", got.newFailedIndexes, tt.wantFailed)
			}
			if f := indexFailures(tt.job, pods(tt.pod)); len(f) != len(tt.wantFailures) || f[0] != tt.wantFailures[0] ||
				f[1] != tt.wantFailures[1] || f[2] != tt.wantFailures[2] {
				t.Errorf("indexFailures = %v, want %v", f, tt.wantFailures)
			}
		})
	}
}

func TestDecideFinishPerIndex(t *testing.T) {
	maxFailed := func(n int32) jobOpt { return func(j *batchv1.Job) { j.Spec.MaxFailedIndexes = &n } }
	tests := []struct {
		name string
		job  *batchv1.Job
		pr   progress
		want string
	}{
		{"indexes still running", testJob(parallel(3, 3), perIndex(1)), progress{completedIndexes: 1, failedIndexes: 1, active: 1}, ""},
		{"all indexes done, some failed", testJob(parallel(3, 3), perIndex(1)), progress{completedIndexes: 2, failedIndexes: 1}, batchv1.JobReasonFailedIndexes},
		{"too many failed indexes", testJob(parallel(3, 5), perIndex(1), maxFailed(1)), progress{failedIndexes: 2, active: 3}, batchv1.JobReasonMaxFailedIndexesExceeded},
		{"within max failed indexes", testJob(parallel(3, 5), perIndex(1), maxFailed(1)), progress{failedIndexes: 1, active: 3}, ""},
	}
	for _, tt := range tests {
		v := decideFinish(tt.job, tt.pr, "", t0)
		got := ""
		if v != nil {
			got = v.reason
		}
		if got != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.name, got, tt.want)
		}
	}
}
