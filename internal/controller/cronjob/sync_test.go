package cronjob

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

func cronJob(mutate ...func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default", UID: "cj-uid",
			CreationTimestamp: metav1.NewTime(at("2026-01-01T10:00:00Z"))},
		Spec: batchv1.CronJobSpec{Schedule: "* * * * *", ConcurrencyPolicy: batchv1.AllowConcurrent,
			JobTemplate: batchv1.JobTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "hello"}}}},
	}
	for _, m := range mutate {
		m(cj)
	}
	return cj
}

// ownedJob is a Job of cronJob() scheduled at the given minute of 10:xx.
func ownedJob(minute int, cond batchv1.JobConditionType) *batchv1.Job {
	t := at("2026-01-01T10:00:00Z").Add(time.Duration(minute) * time.Minute)
	j := child(jobName(cronJob(), t), cond, minute)
	j.Namespace = "default"
	j.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(cronJob(), batchv1.SchemeGroupVersion.WithKind("CronJob"))}
	if cond == batchv1.JobComplete {
		j.Status.CompletionTime = j.Status.StartTime
	}
	return j
}

func withActive(jobs ...*batchv1.Job) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) {
		for _, j := range jobs {
			cj.Status.Active = append(cj.Status.Active, jobRef(j))
		}
		last := metav1.NewTime(at("2026-01-01T10:01:00Z"))
		cj.Status.LastScheduleTime = &last
	}
}

func policy(p batchv1.ConcurrencyPolicy) func(*batchv1.CronJob) {
	return func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = p }
}

func TestSync(t *testing.T) {
	running := ownedJob(1, "")
	tests := []struct {
		name        string
		cj          *batchv1.CronJob
		jobs        []*batchv1.Job
		now         string
		wantJobs    []string // Jobs existing after the sync
		wantEvents  []string // reasons, in order
		wantActive  int
		wantRequeue time.Duration
	}{
		{name: "not yet due", cj: cronJob(), now: "2026-01-01T10:00:30Z", wantRequeue: 30100 * time.Millisecond},
		{name: "due creates the job", cj: cronJob(), now: "2026-01-01T10:01:30Z", wantJobs: []string{"hello-29454361"},
			wantEvents: []string{"SuccessfulCreate"}, wantActive: 1, wantRequeue: 30100 * time.Millisecond},
		{name: "suspended", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptrTo(true) }), now: "2026-01-01T10:01:30Z"},
		{name: "unknown time zone", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptrTo("Nowhere/Land") }),
			now: "2026-01-01T10:01:30Z", wantEvents: []string{"UnknownTimeZone"}},
		{name: "starting deadline passed", cj: cronJob(func(cj *batchv1.CronJob) { cj.Spec.StartingDeadlineSeconds = ptrTo(int64(10)) }),
			now: "2026-01-01T10:01:30Z", wantRequeue: 30100 * time.Millisecond},
		{name: "forbid keeps the running job", cj: cronJob(policy(batchv1.ForbidConcurrent), withActive(running)), jobs: []*batchv1.Job{running},
			now: "2026-01-01T10:02:10Z", wantJobs: []string{running.Name}, wantEvents: []string{"JobAlreadyActive"}, wantActive: 1, wantRequeue: 50100 * time.Millisecond},
		{name: "allow runs concurrently", cj: cronJob(withActive(running)), jobs: []*batchv1.Job{running},
			now: "2026-01-01T10:02:10Z", wantJobs: []string{running.Name, "hello-29454362"}, wantEvents: []string{"SuccessfulCreate"}, wantActive: 2, wantRequeue: 50100 * time.Millisecond},
		{name: "replace deletes the running job", cj: cronJob(policy(batchv1.ReplaceConcurrent), withActive(running)), jobs: []*batchv1.Job{running},
			now: "2026-01-01T10:02:10Z", wantJobs: []string{"hello-29454362"}, wantEvents: []string{"SuccessfulDelete", "SuccessfulCreate"}, wantActive: 1, wantRequeue: 50100 * time.Millisecond},
		{name: "completed job leaves active", cj: cronJob(withActive(ownedJob(1, batchv1.JobComplete))), jobs: []*batchv1.Job{ownedJob(1, batchv1.JobComplete)},
			now: "2026-01-01T10:01:40Z", wantJobs: []string{"hello-29454361"}, wantEvents: []string{"SawCompletedJob"}, wantRequeue: 20100 * time.Millisecond},
		{name: "history limit deletes the oldest", cj: cronJob(withActive(), func(cj *batchv1.CronJob) { cj.Spec.SuccessfulJobsHistoryLimit = ptrTo(int32(1)) }),
			jobs: []*batchv1.Job{ownedJob(0, batchv1.JobComplete), ownedJob(1, batchv1.JobComplete)},
			now:  "2026-01-01T10:01:40Z", wantJobs: []string{"hello-29454361"}, wantEvents: []string{"SuccessfulDelete"}, wantRequeue: 20100 * time.Millisecond},
		{name: "after long downtime only the latest starts", cj: cronJob(), now: "2026-01-02T10:00:30Z", wantJobs: []string{"hello-29455800"},
			wantEvents: []string{"TooManyMissedTimes", "SuccessfulCreate"}, wantActive: 1, wantRequeue: 30100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []runtime.Object{tt.cj}
			for _, j := range tt.jobs {
				objs = append(objs, j)
			}
			client := fake.NewClientset(objs...)
			rec := record.NewFakeRecorder(20)
			c, ctx := newTestController(t, client, rec, at(tt.now))
			requeue, err := c.sync(ctx, "default/hello")
			if err != nil {
				t.Fatal(err)
			}
			jobs, _ := client.BatchV1().Jobs("default").List(ctx, metav1.ListOptions{})
			var got []string
			for _, j := range jobs.Items {
				got = append(got, j.Name)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.wantJobs))
			cj, _ := client.BatchV1().CronJobs("default").Get(ctx, "hello", metav1.GetOptions{})
			if !slices.Equal(got, want) || len(cj.Status.Active) != tt.wantActive || requeue != tt.wantRequeue {
				t.Errorf("jobs %v active %d requeue %v; want %v %d %v", got, len(cj.Status.Active), requeue, want, tt.wantActive, tt.wantRequeue)
			}
			if reasons := drain(rec); !slices.Equal(reasons, tt.wantEvents) {
				t.Errorf("events %v, want %v", reasons, tt.wantEvents)
			}
		})
	}
}

func newTestController(t *testing.T, client *fake.Clientset, rec record.EventRecorder, now time.Time) (*Controller, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	inf := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Client: client,
		CronJobs: inf.Batch().V1().CronJobs(), Jobs: inf.Batch().V1().Jobs(),
		Clock: clocktesting.NewFakeClock(now), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	t.Cleanup(func() { cancel(); inf.Shutdown() })
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		t.Fatal("caches did not sync")
	}
	return c, ctx
}

// drain returns the reasons of the recorded events.
func drain(rec *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, strings.Fields(e)[1])
		default:
			return out
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
