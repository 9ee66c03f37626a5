package ttlafterfinished

import (
	"context"
	"log/slog"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
)

var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

func finished(cond batchv1.JobConditionType, ttl *int32) *batchv1.Job {
	j := &batchv1.Job{Spec: batchv1.JobSpec{TTLSecondsAfterFinished: ttl}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}}
	}
	return j
}

func TestExpiry(t *testing.T) {
	ttl := int32(100)
	zero := int32(0)
	noTime := finished(batchv1.JobComplete, &ttl)
	noTime.Status.Conditions[0].LastTransitionTime = metav1.Time{}
	tests := []struct {
		name string
		job  *batchv1.Job
		want time.Time // zero: not eligible
	}{
		{"no ttl", finished(batchv1.JobComplete, nil), time.Time{}},
		{"running", finished("", &ttl), time.Time{}},
		{"complete", finished(batchv1.JobComplete, &ttl), t0.Add(100 * time.Second)},
		{"failed", finished(batchv1.JobFailed, &ttl), t0.Add(100 * time.Second)},
		{"ttl zero expires at finish", finished(batchv1.JobComplete, &zero), t0},
		{"interim condition is not finished", finished(batchv1.JobSuccessCriteriaMet, &ttl), time.Time{}},
		{"unknown finish time", noTime, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := expiry(tt.job)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("%s: expiry = %v %v, want %v", tt.name, got, ok, tt.want)
		}
	}
}

func TestDeletesFinishedJobAfterTTL(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	client := srv.Clientset(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	clk := clocktesting.NewFakeClock(time.Now())
	inf := informers.NewSharedInformerFactory(client, 0)
	c, err := New(Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil)), Client: client, Jobs: inf.Batch().V1().Jobs(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 1) }()
	t.Cleanup(func() { cancel(); <-done; inf.Shutdown() })

	ttl := int32(60)
	mk := func(name string, ttl *int32) *batchv1.Job {
		j, err := client.BatchV1().Jobs("default").Create(ctx, &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: batchv1.JobSpec{TTLSecondsAfterFinished: ttl, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		now := metav1.NewTime(clk.Now())
		j.Status.StartTime, j.Status.CompletionTime = &now, &now
		j.Status.Conditions = []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now}}
		if j, err = client.BatchV1().Jobs("default").UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		return j
	}
	mk("expiring", &ttl)
	mk("kept", nil)
	exists := func(name string) bool {
		_, err := client.BatchV1().Jobs("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	// Wait until the controller has scheduled the expiry, then check the
	// job is still there before its time.
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return clk.HasWaiters(), nil
	}); err != nil {
		t.Fatal("controller never waited for the expiry")
	}
	clk.Step(59 * time.Second)
	if !exists("expiring") {
		t.Fatal("job deleted before its TTL")
	}
	clk.Step(2 * time.Second)
	if err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
		return !exists("expiring"), nil
	}); err != nil {
		t.Fatal("expired job was not deleted")
	}
	if !exists("kept") {
		t.Error("a job without TTL was deleted")
	}
}
