package job

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

type fakeEnv struct {
	c      *Controller
	ctx    context.Context
	client *fake.Clientset
	clock  *clocktesting.FakeClock
	rec    *record.FakeRecorder
}

func newFakeEnv(t *testing.T, now time.Time, objs ...runtime.Object) *fakeEnv {
	t.Helper()
	client := fake.NewClientset(objs...)
	created := 0
	client.PrependReactor("create", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		// The fake does not generate names or UIDs; the API server does.
		if p, ok := a.(clienttesting.CreateAction).GetObject().(*corev1.Pod); ok && p.Name == "" {
			created++
			p.Name = p.GenerateName + strconv.Itoa(created)
			p.UID = types.UID(p.Name)
		}
		return false, nil, nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	inf := informers.NewSharedInformerFactory(client, 0)
	e := &fakeEnv{ctx: ctx, client: client, clock: clocktesting.NewFakeClock(now), rec: record.NewFakeRecorder(50)}
	c, err := New(Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Client: client,
		Jobs: inf.Batch().V1().Jobs(), Pods: inf.Core().V1().Pods(), Clock: e.clock, Recorder: e.rec})
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	inf.Start(ctx.Done())
	t.Cleanup(func() { cancel(); inf.Shutdown() })
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		t.Fatal("caches did not sync")
	}
	return e
}

// settle waits until the informer caches show what the API holds.
func (e *fakeEnv) settle(t *testing.T) {
	t.Helper()
	err := wait.PollUntilContextTimeout(e.ctx, 5*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		pods, _ := e.client.CoreV1().Pods("default").List(e.ctx, metav1.ListOptions{})
		cached, _ := e.c.pods.List(labels.Everything())
		job, _ := e.client.BatchV1().Jobs("default").Get(e.ctx, "pi", metav1.GetOptions{})
		cachedJob, _ := e.c.jobs.Jobs("default").Get("pi")
		if job == nil || cachedJob == nil || job.ResourceVersion != cachedJob.ResourceVersion || len(pods.Items) != len(cached) {
			return false, nil
		}
		for _, p := range cached {
			i := slices.IndexFunc(pods.Items, func(q corev1.Pod) bool { return q.UID == p.UID })
			if i < 0 || pods.Items[i].ResourceVersion != p.ResourceVersion {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatal("informer caches did not catch up")
	}
}

func (e *fakeEnv) sync(t *testing.T) *batchv1.Job {
	t.Helper()
	e.settle(t)
	if err := e.c.sync(e.ctx, "default/pi"); err != nil {
		t.Fatalf("sync: %v", err)
	}
	j, err := e.client.BatchV1().Jobs("default").Get(e.ctx, "pi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func (e *fakeEnv) pods(t *testing.T) []corev1.Pod {
	t.Helper()
	l, err := e.client.CoreV1().Pods("default").List(e.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

func (e *fakeEnv) reasons() []string {
	var out []string
	for {
		select {
		case ev := <-e.rec.Events:
			out = append(out, strings.Fields(ev)[1])
		default:
			return out
		}
	}
}

func owned(j *batchv1.Job) podOpt {
	return func(p *corev1.Pod) {
		p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(j, batchv1.SchemeGroupVersion.WithKind("Job"))}
		p.Labels = map[string]string{"job": "pi"}
	}
}

func selecting(j *batchv1.Job) {
	j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"job": "pi"}}
	j.Spec.Template.Labels = map[string]string{"job": "pi"}
	ts := metav1.NewTime(t0)
	j.Status.StartTime = &ts
}

func finishedAt(at time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(at)}}}}
	}
}

func TestFailedPodIsReplacedAfterBackoff(t *testing.T) {
	j := testJob(selecting)
	failed := testPod("p1", owned(j), phase(corev1.PodFailed), finishedAt(t0))
	e := newFakeEnv(t, t0.Add(time.Second), j, failed)

	got := e.sync(t)
	if got.Status.Failed != 1 || got.Status.UncountedTerminatedPods != nil {
		t.Fatalf("status after failure = %+v", got.Status)
	}
	ps := e.pods(t)
	if len(ps) != 1 || slices.Contains(ps[0].Finalizers, trackingFinalizer) {
		t.Fatalf("want only the failed pod, released; got %d pods %v", len(ps), ps[0].Finalizers)
	}
	e.clock.SetTime(t0.Add(5 * time.Second))
	e.sync(t)
	if n := len(e.pods(t)); n != 1 {
		t.Fatalf("replacement created within the 10s backoff: %d pods", n)
	}
	e.clock.SetTime(t0.Add(10 * time.Second))
	e.sync(t)
	if n := len(e.pods(t)); n != 2 {
		t.Fatalf("no replacement after the backoff: %d pods", n)
	}
	if r := e.reasons(); !slices.Equal(r, []string{"SuccessfulCreate"}) {
		t.Errorf("events %v", r)
	}
}

func TestActiveDeadlineFailsJob(t *testing.T) {
	j := testJob(selecting, func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = ptrTo(int64(60)) })
	running := testPod("p1", owned(j))
	e := newFakeEnv(t, t0.Add(30*time.Second), j, running)
	if got := e.sync(t); interim(&got.Status) != nil {
		t.Fatalf("failed before the deadline: %+v", got.Status.Conditions)
	}
	e.clock.SetTime(t0.Add(61 * time.Second))
	got := e.sync(t)
	if v := interim(&got.Status); v == nil || v.reason != batchv1.JobReasonDeadlineExceeded || isFinished(&got.Status) {
		t.Fatalf("want FailureTarget DeadlineExceeded only, got %+v", got.Status.Conditions)
	}
	if n := len(e.pods(t)); n != 0 {
		t.Fatalf("active pod not deleted: %d pods", n)
	}
	got = e.sync(t)
	if c := findCondition(&got.Status, batchv1.JobFailed); c == nil || c.Reason != batchv1.JobReasonDeadlineExceeded || c.Message != msgDeadline {
		t.Fatalf("Failed condition = %+v", c)
	}
	if got.Status.Failed != 1 || got.Status.Active != 0 {
		t.Errorf("status = %+v", got.Status)
	}
	if r := e.reasons(); !slices.Equal(r, []string{"SuccessfulDelete", batchv1.JobReasonDeadlineExceeded}) {
		t.Errorf("events %v", r)
	}
}

func TestManagedByOtherControllerIsIgnored(t *testing.T) {
	j := testJob(selecting, func(j *batchv1.Job) { j.Spec.ManagedBy = ptrTo("example.com/other") })
	e := newFakeEnv(t, t0, j)
	if got := e.sync(t); len(e.pods(t)) != 0 || got.Status.Active != 0 {
		t.Errorf("job managed elsewhere was acted on: %+v", got.Status)
	}
}

func TestClaimAdoptsAndReleases(t *testing.T) {
	j := testJob(selecting)
	orphan := testPod("orphan", noFinalizer, func(p *corev1.Pod) { p.Labels = map[string]string{"job": "pi"} })
	strayed := testPod("strayed", owned(j), func(p *corev1.Pod) { p.Labels = map[string]string{"job": "other"} })
	foreign := testPod("foreign", func(p *corev1.Pod) {
		p.Labels = map[string]string{"job": "pi"}
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ReplicationController", Name: "rc", UID: "rc-uid", Controller: ptrTo(true)}}
	})
	e := newFakeEnv(t, t0, j, orphan, strayed, foreign)
	e.settle(t)
	got, err := e.c.claimPods(e.ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "orphan" {
		t.Fatalf("claimed %d pods", len(got))
	}
	for _, tc := range []struct {
		name       string
		controlled bool
	}{{"orphan", true}, {"strayed", false}, {"foreign", false}} {
		p, err := e.client.CoreV1().Pods("default").Get(e.ctx, tc.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if metav1.IsControlledBy(p, j) != tc.controlled {
			t.Errorf("pod %s controlled by job = %v, want %v (%v)", tc.name, !tc.controlled, tc.controlled, p.OwnerReferences)
		}
	}
}

func TestResumeResetsStartTime(t *testing.T) {
	j := testJob(selecting, parallel(2, 4), func(j *batchv1.Job) {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobSuspended, Status: corev1.ConditionTrue,
			Reason: reasonSuspended, Message: msgSuspended, LastTransitionTime: metav1.NewTime(t0)}}
	})
	now := t0.Add(time.Hour)
	e := newFakeEnv(t, now, j)
	got := e.sync(t)
	c := findCondition(&got.Status, batchv1.JobSuspended)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != reasonResumed || !c.LastTransitionTime.Time.Equal(now) {
		t.Errorf("Suspended condition after resume = %+v", c)
	}
	if got.Status.StartTime == nil || !got.Status.StartTime.Time.Equal(now) {
		t.Errorf("startTime = %v, want %v", got.Status.StartTime, now)
	}
	if n := len(e.pods(t)); n != 2 {
		t.Errorf("pods after resume = %d, want 2", n)
	}
	if r := e.reasons(); !slices.Equal(r, []string{"Resumed", "SuccessfulCreate", "SuccessfulCreate"}) {
		t.Errorf("events %v", r)
	}
}
