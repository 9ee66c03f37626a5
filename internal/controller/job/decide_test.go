package job

import (
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type jobOpt func(*batchv1.Job)

func testJob(opts ...jobOpt) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "job-uid"},
		Spec: batchv1.JobSpec{
			Parallelism:  ptrTo(int32(1)),
			Completions:  ptrTo(int32(1)),
			BackoffLimit: ptrTo(int32(6)),
		},
	}
	for _, o := range opts {
		o(j)
	}
	return j
}

func parallel(p, c int32) jobOpt {
	return func(j *batchv1.Job) { j.Spec.Parallelism, j.Spec.Completions = &p, &c }
}

func workQueue(p int32) jobOpt {
	return func(j *batchv1.Job) { j.Spec.Parallelism, j.Spec.Completions = &p, nil }
}

func indexed(j *batchv1.Job) { j.Spec.CompletionMode = ptrTo(batchv1.IndexedCompletion) }

type podOpt func(*corev1.Pod)

func testPod(uid string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: uid, Namespace: "default", UID: types.UID(uid),
		Finalizers: []string{trackingFinalizer}}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func deleting(p *corev1.Pod) {
	ts := metav1.NewTime(t0)
	p.DeletionTimestamp = &ts
}
func noFinalizer(p *corev1.Pod) { p.Finalizers = nil }
func index(i string) podOpt {
	return func(p *corev1.Pod) { p.Annotations = map[string]string{completionIndexKey: i} }
}
func exitCode(name string, code int32) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: name,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}})
	}
}

func pods(ps ...*corev1.Pod) []*corev1.Pod { return ps }

func TestPlanPods(t *testing.T) {
	running := func(n int, opts ...podOpt) []*corev1.Pod {
		var out []*corev1.Pod
		for i := range n {
			out = append(out, testPod(string(rune('a'+i)), opts...))
		}
		return out
	}
	tests := []struct {
		name        string
		job         *batchv1.Job
		active      []*corev1.Pod
		terminating int
		succeeded   int
		completed   []int
		wantCreate  int
		wantIndexes []int
		wantDelete  int
	}{
		{name: "fresh job creates parallelism pods", job: testJob(parallel(2, 3)), wantCreate: 2},
		{name: "remaining completions cap parallelism", job: testJob(parallel(2, 3)), succeeded: 2, wantCreate: 1},
		{name: "one running, one to add", job: testJob(parallel(2, 3)), active: running(1), wantCreate: 1},
		{name: "all done creates nothing", job: testJob(parallel(2, 3)), succeeded: 3},
		{name: "too many active deletes extras", job: testJob(parallel(2, 3)), active: running(3), succeeded: 1, wantDelete: 1},
		{name: "work queue without success fills parallelism", job: testJob(workQueue(3)), active: running(1), wantCreate: 2},
		{name: "work queue after a success starts nothing", job: testJob(workQueue(3)), active: running(1), succeeded: 1},
		{name: "terminating hold slots with policy Failed", job: testJob(parallel(3, 5), func(j *batchv1.Job) {
			j.Spec.PodReplacementPolicy = ptrTo(batchv1.Failed)
		}), terminating: 2, wantCreate: 1},
		{name: "terminating free slots by default", job: testJob(parallel(3, 5)), terminating: 2, wantCreate: 3},
		{name: "indexed fresh", job: testJob(parallel(2, 3), indexed), wantIndexes: []int{0, 1}},
		{name: "indexed skips completed and running", job: testJob(parallel(3, 4), indexed),
			active: pods(testPod("x", index("1"))), completed: []int{0}, wantIndexes: []int{2, 3}},
		{name: "indexed deletes duplicate, bad and completed indexes", job: testJob(parallel(3, 3), indexed),
			active:    pods(testPod("x", index("1")), testPod("y", index("1")), testPod("z", index("7")), testPod("w", index("0"))),
			completed: []int{0}, wantIndexes: []int{2}, wantDelete: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := podSets{active: tt.active}
			for range tt.terminating {
				s.terminating = append(s.terminating, testPod("t", deleting))
			}
			got := planPods(tt.job, s, tt.succeeded, sets.New(tt.completed...))
			if got.create != tt.wantCreate || !slices.Equal(got.createIndexes, tt.wantIndexes) || len(got.delete) != tt.wantDelete {
				t.Errorf("plan = create %d indexes %v delete %d; want %d %v %d",
					got.create, got.createIndexes, len(got.delete), tt.wantCreate, tt.wantIndexes, tt.wantDelete)
			}
		})
	}
}

func TestTrack(t *testing.T) {
	failJob := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{42}}},
		{Action: batchv1.PodFailurePolicyActionIgnore, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
	}}
	disrupted := func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue})
	}
	tests := []struct {
		name           string
		job            *batchv1.Job
		pods           []*corev1.Pod
		uncounted      []types.UID
		removed        []types.UID
		finishing      bool
		wantSucc       []types.UID
		wantFail       []types.UID
		wantRelease    int
		wantIndexes    []int
		wantFailJobMsg bool
	}{
		{name: "succeeded and failed pods are counted and released", job: testJob(),
			pods:     pods(testPod("a", phase(corev1.PodSucceeded)), testPod("b", phase(corev1.PodFailed)), testPod("c")),
			wantSucc: []types.UID{"a"}, wantFail: []types.UID{"b"}, wantRelease: 2},
		{name: "pods without finalizer were counted before", job: testJob(),
			pods: pods(testPod("a", phase(corev1.PodSucceeded), noFinalizer))},
		{name: "a removal not yet observed is not counted twice", job: testJob(),
			pods: pods(testPod("a", phase(corev1.PodSucceeded))), removed: []types.UID{"a"}},
		{name: "already uncounted pods are only released", job: testJob(),
			pods: pods(testPod("a", phase(corev1.PodFailed))), uncounted: []types.UID{"a"}, wantRelease: 1},
		{name: "deleted running pod counts as failed", job: testJob(),
			pods: pods(testPod("a", deleting)), wantFail: []types.UID{"a"}, wantRelease: 1},
		{name: "deleted pod of a suspended job is released uncounted", job: testJob(func(j *batchv1.Job) { j.Spec.Suspend = ptrTo(true) }),
			pods: pods(testPod("a", deleting)), wantRelease: 1},
		{name: "with replacement policy Failed a deleted pod waits", job: testJob(func(j *batchv1.Job) {
			j.Spec.PodReplacementPolicy = ptrTo(batchv1.Failed)
		}), pods: pods(testPod("a", deleting))},
		{name: "finishing counts running pods as failed", job: testJob(), finishing: true,
			pods: pods(testPod("a")), wantFail: []types.UID{"a"}, wantRelease: 1},
		{name: "indexed success records the index", job: testJob(parallel(2, 3), indexed),
			pods:     pods(testPod("a", phase(corev1.PodSucceeded), index("2")), testPod("b", phase(corev1.PodSucceeded), index("9"))),
			wantSucc: []types.UID{"a", "b"}, wantRelease: 2, wantIndexes: []int{2}},
		{name: "FailJob rule matches exit code", job: testJob(func(j *batchv1.Job) { j.Spec.PodFailurePolicy = failJob }),
			pods:     pods(testPod("a", phase(corev1.PodFailed), exitCode("main", 42))),
			wantFail: []types.UID{"a"}, wantRelease: 1, wantFailJobMsg: true},
		{name: "Ignore rule keeps the failure out of the count", job: testJob(func(j *batchv1.Job) { j.Spec.PodFailurePolicy = failJob }),
			pods: pods(testPod("a", phase(corev1.PodFailed), exitCode("main", 1), disrupted)), wantRelease: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := track(trackInput{job: tt.job, pods: tt.pods, uncountedSucceeded: sets.New[types.UID](),
				uncountedFailed: sets.New(tt.uncounted...), finishing: tt.finishing,
				removed: func(uid types.UID) bool { return slices.Contains(tt.removed, uid) }, now: t0})
			if !slices.Equal(got.newSucceeded, tt.wantSucc) || !slices.Equal(got.newFailed, tt.wantFail) ||
				len(got.release) != tt.wantRelease || !slices.Equal(got.newIndexes, tt.wantIndexes) ||
				(got.failJobMessage != "") != tt.wantFailJobMsg {
				t.Errorf("track = succ %v fail %v release %d indexes %v failJob %q",
					got.newSucceeded, got.newFailed, len(got.release), got.newIndexes, got.failJobMessage)
			}
		})
	}
}

func TestDecideFinish(t *testing.T) {
	started := func(j *batchv1.Job) {
		ts := metav1.NewTime(t0)
		j.Status.StartTime = &ts
		j.Spec.ActiveDeadlineSeconds = ptrTo(int64(60))
	}
	tests := []struct {
		name    string
		job     *batchv1.Job
		pr      progress
		failJob string
		now     time.Time
		want    string // reason, "" for none
	}{
		{name: "running", job: testJob(parallel(2, 3)), pr: progress{succeeded: 2, active: 1}},
		{name: "completions reached", job: testJob(parallel(2, 3)), pr: progress{succeeded: 3}, want: batchv1.JobReasonCompletionsReached},
		{name: "backoff limit is exceeded only above the limit", job: testJob(), pr: progress{failed: 6, active: 1}},
		{name: "backoff limit exceeded", job: testJob(), pr: progress{failed: 7}, want: batchv1.JobReasonBackoffLimitExceeded},
		{name: "failure wins over success", job: testJob(), pr: progress{failed: 7, succeeded: 1}, want: batchv1.JobReasonBackoffLimitExceeded},
		{name: "FailJob rule", job: testJob(), failJob: "x", want: batchv1.JobReasonPodFailurePolicy},
		{name: "deadline not yet", job: testJob(started), now: t0.Add(59 * time.Second), pr: progress{active: 1}},
		{name: "deadline passed", job: testJob(started), now: t0.Add(60 * time.Second), pr: progress{active: 1}, want: batchv1.JobReasonDeadlineExceeded},
		{name: "work queue done when a pod succeeded and none runs", job: testJob(workQueue(2)), pr: progress{succeeded: 1}, want: batchv1.JobReasonCompletionsReached},
		{name: "work queue waits for running pods", job: testJob(workQueue(2)), pr: progress{succeeded: 1, active: 1}},
		{name: "indexed counts indexes, not pods", job: testJob(parallel(3, 3), indexed), pr: progress{succeeded: 5, completedIndexes: 2}},
		{name: "indexed complete", job: testJob(parallel(3, 3), indexed), pr: progress{succeeded: 3, completedIndexes: 3}, want: batchv1.JobReasonCompletionsReached},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			v := decideFinish(tt.job, tt.pr, tt.failJob, now)
			got := ""
			if v != nil {
				got = v.reason
			}
			if got != tt.want {
				t.Errorf("decideFinish reason = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIndexes(t *testing.T) {
	tests := []struct {
		in          string
		completions int
		want        []int
		format      string
	}{
		{"", 3, nil, ""},
		{"0-2", 3, []int{0, 1, 2}, "0-2"},
		{"0,2-3,5", 10, []int{0, 2, 3, 5}, "0,2-3,5"},
		{"3,1,2", 10, []int{1, 2, 3}, "1-3"},
		{"0-4,x,7", 3, []int{0, 1, 2}, "0-2"},
	}
	for _, tt := range tests {
		got := parseIndexes(tt.in, tt.completions)
		if !slices.Equal(got, tt.want) || formatIndexes(got) != tt.format {
			t.Errorf("parseIndexes(%q) = %v (%q), want %v (%q)", tt.in, got, formatIndexes(got), tt.want, tt.format)
		}
	}
}

func TestBackoff(t *testing.T) {
	delays := []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {6, 320 * time.Second}, {7, 6 * time.Minute}, {30, 6 * time.Minute}}
	for _, d := range delays {
		if got := backoffDelay(d.failures); got != d.want {
			t.Errorf("backoffDelay(%d) = %v, want %v", d.failures, got, d.want)
		}
	}
	r := backoffRecord{}.next(0, 2, t0)
	if got := r.remaining(t0.Add(5 * time.Second)); got != 15*time.Second {
		t.Errorf("after 2 failures remaining = %v, want 15s", got)
	}
	if got := r.next(1, 0, time.Time{}).remaining(t0); got != 0 {
		t.Errorf("a success must reset the backoff, remaining = %v", got)
	}
}

func TestNewPodIndexed(t *testing.T) {
	j := testJob(parallel(2, 3), indexed)
	j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "main"}}
	i := 2
	p := newPod(j, &i)
	if p.Annotations[completionIndexKey] != "2" || p.Labels[completionIndexKey] != "2" || p.Spec.Hostname != "pi-2" || p.GenerateName != "pi-2-" {
		t.Errorf("indexed pod meta = %v %v %q %q", p.Annotations, p.Labels, p.Spec.Hostname, p.GenerateName)
	}
	if !slices.Contains(p.Finalizers, trackingFinalizer) || !metav1.IsControlledBy(p, j) {
		t.Errorf("pod lacks tracking finalizer or controller ref: %v %v", p.Finalizers, p.OwnerReferences)
	}
	if env := p.Spec.Containers[0].Env; len(env) != 1 || env[0].Name != completionIndexEnv {
		t.Errorf("env = %v", env)
	}
	if j.Spec.Template.Spec.Containers[0].Env != nil {
		t.Error("newPod mutated the job template")
	}
}
