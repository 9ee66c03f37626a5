package cronjob_test

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/cronjob"
)

type harness struct {
	t      *testing.T
	ctx    context.Context
	client kubernetes.Interface
	clock  *clocktesting.FakeClock
	cj     *batchv1.CronJob
}

// start runs an API server and the CronJob controller on a fake clock and
// creates a CronJob "hello" running every minute with policy p.
func start(t *testing.T, p batchv1.ConcurrencyPolicy, successLimit int32) *harness {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, ctx: ctx, client: client, clock: clocktesting.NewFakeClock(time.Now())}
	inf := informers.NewSharedInformerFactory(client, 0)
	c, err := cronjob.New(cronjob.Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Client: client,
		CronJobs: inf.Batch().V1().CronJobs(), Jobs: inf.Batch().V1().Jobs(), Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 2) }()
	t.Cleanup(func() { cancel(); <-done; inf.Shutdown() })
	h.cj, err = client.BatchV1().CronJobs("default").Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: batchv1.CronJobSpec{
			Schedule: "* * * * *", ConcurrencyPolicy: p, SuccessfulJobsHistoryLimit: &successLimit,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.SetTime(h.cj.CreationTimestamp.Add(time.Second))
	return h
}

// tick moves the clock one second past the next minute boundary.
func (h *harness) tick() {
	now := h.clock.Now()
	h.clock.SetTime(now.Truncate(time.Minute).Add(time.Minute + time.Second))
}

func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	err := wait.PollUntilContextTimeout(h.ctx, 20*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		h.t.Fatalf("waiting for %s", what)
	}
}

func (h *harness) jobs() []batchv1.Job {
	h.t.Helper()
	list, err := h.client.BatchV1().Jobs("default").List(h.ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return slices.DeleteFunc(list.Items, func(j batchv1.Job) bool { return j.DeletionTimestamp != nil })
}

func (h *harness) jobNames() []string {
	var out []string
	for _, j := range h.jobs() {
		out = append(out, j.Name)
	}
	slices.Sort(out)
	return out
}

func (h *harness) cronJob() *batchv1.CronJob {
	cj, err := h.client.BatchV1().CronJobs("default").Get(h.ctx, "hello", metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return cj
}

func (h *harness) event(reason, message string) bool {
	evs, err := h.client.CoreV1().Events("default").List(h.ctx, metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return slices.ContainsFunc(evs.Items, func(e corev1.Event) bool {
		return e.InvolvedObject.UID == h.cj.UID && e.Reason == reason && (message == "" || e.Message == message)
	})
}

// complete marks a job finished as the Job controller would.
func (h *harness) complete(name string) {
	h.t.Helper()
	j, err := h.client.BatchV1().Jobs("default").Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	now := metav1.NewTime(h.clock.Now())
	j.Status.StartTime, j.Status.CompletionTime = &now, &now
	j.Status.Conditions = []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	if _, err := h.client.BatchV1().Jobs("default").UpdateStatus(h.ctx, j, metav1.UpdateOptions{}); err != nil {
		h.t.Fatal(err)
	}
}

func TestEveryMinuteCreatesJob(t *testing.T) {
	h := start(t, batchv1.AllowConcurrent, 3)
	h.tick()
	h.eventually("a job", func() bool { return len(h.jobs()) == 1 })
	j := h.jobs()[0]
	scheduled := h.clock.Now().Truncate(time.Minute)
	if want := "hello-" + strconv.FormatInt(scheduled.Unix()/60, 10); j.Name != want {
		t.Errorf("job name %s, want %s", j.Name, want)
	}
	if got := j.Annotations[batchv1.CronJobScheduledTimestampAnnotation]; got != scheduled.UTC().Format(time.RFC3339) {
		t.Errorf("scheduled-timestamp annotation %q", got)
	}
	if !metav1.IsControlledBy(&j, h.cj) {
		t.Error("job is not controlled by the cronjob")
	}
	h.eventually("status.active and lastScheduleTime", func() bool {
		cj := h.cronJob()
		return len(cj.Status.Active) == 1 && cj.Status.LastScheduleTime != nil && cj.Status.LastScheduleTime.Time.Equal(scheduled)
	})
	h.eventually("SuccessfulCreate event", func() bool { return h.event("SuccessfulCreate", "Created job "+j.Name) })
	h.complete(j.Name)
	h.eventually("SawCompletedJob", func() bool {
		return h.event("SawCompletedJob", "Saw completed job: "+j.Name+", condition: Complete")
	})
	h.eventually("lastSuccessfulTime and empty active", func() bool {
		cj := h.cronJob()
		return len(cj.Status.Active) == 0 && cj.Status.LastSuccessfulTime != nil
	})
}

func TestForbidSkipsWhileActive(t *testing.T) {
	h := start(t, batchv1.ForbidConcurrent, 3)
	h.tick()
	h.eventually("first job", func() bool { return len(h.jobs()) == 1 })
	h.tick()
	h.eventually("JobAlreadyActive", func() bool { return h.event("JobAlreadyActive", "") })
	if n := len(h.jobs()); n != 1 {
		t.Fatalf("Forbid started a concurrent job: %d jobs", n)
	}
}

func TestReplaceDeletesActive(t *testing.T) {
	h := start(t, batchv1.ReplaceConcurrent, 3)
	h.tick()
	h.eventually("first job", func() bool { return len(h.jobs()) == 1 })
	first := h.jobs()[0].Name
	h.tick()
	h.eventually("replacement", func() bool {
		names := h.jobNames()
		return len(names) == 1 && names[0] != first
	})
	h.eventually("SuccessfulDelete", func() bool { return h.event("SuccessfulDelete", "Deleted job "+first) })
	h.eventually("one active", func() bool {
		a := h.cronJob().Status.Active
		return len(a) == 1 && a[0].Name != first
	})
}

func TestHistoryLimit(t *testing.T) {
	h := start(t, batchv1.AllowConcurrent, 1)
	h.tick()
	h.eventually("first job", func() bool { return len(h.jobs()) == 1 })
	first := h.jobs()[0].Name
	h.complete(first)
	h.tick()
	h.eventually("second job", func() bool { return len(h.jobNames()) == 2 })
	second := slices.DeleteFunc(h.jobNames(), func(n string) bool { return n == first })[0]
	h.complete(second)
	h.eventually("oldest finished job deleted", func() bool {
		names := h.jobNames()
		return len(names) == 1 && names[0] == second
	})
}
