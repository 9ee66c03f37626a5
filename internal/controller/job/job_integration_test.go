package job_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/controller/job"
)

type harness struct {
	t      *testing.T
	client kubernetes.Interface
	ctx    context.Context
}

// start runs an API server and a Job controller with the real clock.
func start(t *testing.T) *harness {
	t.Helper()
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	inf := informers.NewSharedInformerFactory(client, 0)
	c, err := job.New(job.Options{
		Log:    slog.New(slog.NewTextHandler(t.Output(), nil)),
		Client: client,
		Jobs:   inf.Batch().V1().Jobs(),
		Pods:   inf.Core().V1().Pods(),
	})
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 2) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		inf.Shutdown()
	})
	return &harness{t: t, client: client, ctx: ctx}
}

func newJob(name string, parallelism, completions int32, mutate ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.JobSpec{
			Parallelism: &parallelism,
			Completions: &completions,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "main", Image: "busybox"}},
			}},
		},
	}
	for _, m := range mutate {
		m(j)
	}
	return j
}

func (h *harness) create(j *batchv1.Job) *batchv1.Job {
	h.t.Helper()
	out, err := h.client.BatchV1().Jobs(j.Namespace).Create(h.ctx, j, metav1.CreateOptions{})
	if err != nil {
		h.t.Fatalf("create job: %v", err)
	}
	return out
}

// eventually polls cond until it holds or 30s pass.
func (h *harness) eventually(what string, cond func() (bool, error)) {
	h.t.Helper()
	err := wait.PollUntilContextTimeout(h.ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return cond()
	})
	if err != nil {
		h.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// activePods lists the job's pods that are not terminal and not deleting.
func (h *harness) pods(j *batchv1.Job) []corev1.Pod {
	h.t.Helper()
	list, err := h.client.CoreV1().Pods(j.Namespace).List(h.ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + j.Name})
	if err != nil {
		h.t.Fatal(err)
	}
	return list.Items
}

func (h *harness) activePods(j *batchv1.Job) []corev1.Pod {
	return slices.DeleteFunc(h.pods(j), func(p corev1.Pod) bool {
		return p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
}

func (h *harness) waitActive(j *batchv1.Job, n int) []corev1.Pod {
	h.t.Helper()
	var got []corev1.Pod
	h.eventually("active pods", func() (bool, error) {
		got = h.activePods(j)
		return len(got) == n, nil
	})
	return got
}

func (h *harness) setPhase(p corev1.Pod, ph corev1.PodPhase) {
	h.t.Helper()
	p.Status.Phase = ph
	if _, err := h.client.CoreV1().Pods(p.Namespace).UpdateStatus(h.ctx, &p, metav1.UpdateOptions{}); err != nil {
		h.t.Fatalf("set pod %s %s: %v", p.Name, ph, err)
	}
}

func (h *harness) waitCondition(j *batchv1.Job, ct batchv1.JobConditionType) *batchv1.Job {
	h.t.Helper()
	var got *batchv1.Job
	h.eventually("job condition "+string(ct), func() (bool, error) {
		var err error
		got, err = h.client.BatchV1().Jobs(j.Namespace).Get(h.ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == ct && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	return got
}

func (h *harness) waitEvent(j *batchv1.Job, reason, message string) {
	h.t.Helper()
	h.eventually("event "+reason, func() (bool, error) {
		evs, err := h.client.CoreV1().Events(j.Namespace).List(h.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(evs.Items, func(e corev1.Event) bool {
			return e.InvolvedObject.UID == j.UID && e.Reason == reason && (message == "" || e.Message == message)
		}), nil
	})
}

func TestJobCompletesWithParallelism(t *testing.T) {
	h := start(t)
	j := h.create(newJob("pi", 2, 3))
	first := h.waitActive(j, 2)
	for _, p := range first {
		if !slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer) || !metav1.IsControlledBy(&p, j) {
			t.Fatalf("pod %s lacks tracking finalizer or controller ref", p.Name)
		}
		h.setPhase(p, corev1.PodSucceeded)
	}
	last := h.waitActive(j, 1)
	h.setPhase(last[0], corev1.PodSucceeded)
	done := h.waitCondition(j, batchv1.JobComplete)
	if done.Status.Succeeded != 3 || done.Status.Failed != 0 || done.Status.Active != 0 || done.Status.CompletionTime == nil ||
		done.Status.StartTime == nil || done.Status.UncountedTerminatedPods != nil {
		t.Errorf("status = %+v", done.Status)
	}
	if c := findCond(done, batchv1.JobSuccessCriteriaMet); c == nil || c.Reason != batchv1.JobReasonCompletionsReached {
		t.Errorf("SuccessCriteriaMet = %+v", c)
	}
	h.eventually("finalizers removed", func() (bool, error) {
		return !slices.ContainsFunc(h.pods(j), func(p corev1.Pod) bool {
			return slices.Contains(p.Finalizers, batchv1.JobTrackingFinalizer)
		}), nil
	})
	h.waitEvent(j, "SuccessfulCreate", "Created pod: "+first[0].Name)
	h.waitEvent(j, "Completed", "Job completed")
}

func TestJobBackoffLimitExceeded(t *testing.T) {
	h := start(t)
	j := h.create(newJob("fail", 1, 1, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr(int32(0)) }))
	p := h.waitActive(j, 1)
	h.setPhase(p[0], corev1.PodFailed)
	failed := h.waitCondition(j, batchv1.JobFailed)
	if c := findCond(failed, batchv1.JobFailed); c.Reason != batchv1.JobReasonBackoffLimitExceeded ||
		c.Message != "Job has reached the specified backoff limit" {
		t.Errorf("Failed condition = %+v", c)
	}
	if failed.Status.Failed != 1 || failed.Status.CompletionTime != nil {
		t.Errorf("status = %+v", failed.Status)
	}
	h.waitEvent(j, batchv1.JobReasonBackoffLimitExceeded, "Job has reached the specified backoff limit")
}

func TestJobCountsDeletedPods(t *testing.T) {
	h := start(t)
	j := h.create(newJob("del", 1, 1, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr(int32(3)) }))
	p := h.waitActive(j, 1)
	h.setPhase(p[0], corev1.PodSucceeded)
	// Deleting a finished pod straight away must not lose its count.
	if err := h.client.CoreV1().Pods(p[0].Namespace).Delete(h.ctx, p[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	done := h.waitCondition(j, batchv1.JobComplete)
	if done.Status.Succeeded != 1 {
		t.Errorf("succeeded = %d, want 1", done.Status.Succeeded)
	}
}

func TestIndexedJobCompletes(t *testing.T) {
	h := start(t)
	j := h.create(newJob("idx", 3, 3, func(j *batchv1.Job) { j.Spec.CompletionMode = ptr(batchv1.IndexedCompletion) }))
	ps := h.waitActive(j, 3)
	var idx []string
	for _, p := range ps {
		i := p.Annotations[batchv1.JobCompletionIndexAnnotation]
		idx = append(idx, i)
		if p.Labels[batchv1.JobCompletionIndexAnnotation] != i || p.Spec.Hostname != "idx-"+i {
			t.Errorf("pod %s: label %q hostname %q", p.Name, p.Labels[batchv1.JobCompletionIndexAnnotation], p.Spec.Hostname)
		}
		h.setPhase(p, corev1.PodSucceeded)
	}
	slices.Sort(idx)
	if !slices.Equal(idx, []string{"0", "1", "2"}) {
		t.Errorf("indexes = %v", idx)
	}
	done := h.waitCondition(j, batchv1.JobComplete)
	if done.Status.CompletedIndexes != "0-2" || done.Status.Succeeded != 3 {
		t.Errorf("completedIndexes = %q succeeded = %d", done.Status.CompletedIndexes, done.Status.Succeeded)
	}
}

func TestSuspendDeletesActivePods(t *testing.T) {
	h := start(t)
	j := h.create(newJob("sus", 2, 4))
	h.waitActive(j, 2)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := h.client.BatchV1().Jobs(j.Namespace).Get(h.ctx, j.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		live.Spec.Suspend = ptr(true)
		_, err = h.client.BatchV1().Jobs(j.Namespace).Update(h.ctx, live, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	suspended := h.waitCondition(j, batchv1.JobSuspended)
	h.eventually("pods gone", func() (bool, error) { return len(h.pods(j)) == 0, nil })
	h.eventually("active 0", func() (bool, error) {
		got, err := h.client.BatchV1().Jobs(j.Namespace).Get(h.ctx, j.Name, metav1.GetOptions{})
		return err == nil && got.Status.Active == 0 && got.Status.Failed == 0, err
	})
	if c := findCond(suspended, batchv1.JobSuspended); c.Reason != "JobSuspended" {
		t.Errorf("Suspended condition = %+v", c)
	}
	h.waitEvent(j, "Suspended", "Job suspended")
	h.waitEvent(j, "SuccessfulDelete", "")
}

func findCond(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == t {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func TestBackoffLimitPerIndexFailsIndex(t *testing.T) {
	h := start(t)
	j := h.create(newJob("pidx", 2, 2, func(j *batchv1.Job) {
		j.Spec.CompletionMode = ptr(batchv1.IndexedCompletion)
		j.Spec.BackoffLimitPerIndex = ptr(int32(0))
	}))
	for _, p := range h.waitActive(j, 2) {
		if p.Annotations[batchv1.JobIndexFailureCountAnnotation] != "0" {
			t.Errorf("pod %s failure count %q", p.Name, p.Annotations[batchv1.JobIndexFailureCountAnnotation])
		}
		if p.Annotations[batchv1.JobCompletionIndexAnnotation] == "0" {
			h.setPhase(p, corev1.PodFailed)
		} else {
			h.setPhase(p, corev1.PodSucceeded)
		}
	}
	failed := h.waitCondition(j, batchv1.JobFailed)
	if c := findCond(failed, batchv1.JobFailed); c.Reason != batchv1.JobReasonFailedIndexes {
		t.Errorf("Failed condition = %+v", c)
	}
	if failed.Status.FailedIndexes == nil || *failed.Status.FailedIndexes != "0" || failed.Status.CompletedIndexes != "1" {
		t.Errorf("failedIndexes %v completedIndexes %q", failed.Status.FailedIndexes, failed.Status.CompletedIndexes)
	}
	if n := len(h.pods(j)); n != 2 {
		t.Errorf("a failed index was retried: %d pods", n)
	}
}
